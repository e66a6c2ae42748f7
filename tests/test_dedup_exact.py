"""Exact dedup: canonical choice (pure) and the batch dedup on the DirectRunner."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.conftest import SEEDS, batch_dedup
from transforms.dedup import pick_canonical
from transforms.read import parse_document
from transforms.records import Document
from transforms.segment import segment_document


def _doc(source: str, text: str, pub_date: dt.date | None = None) -> Document:
    return Document(
        doc_id=source, source=source, text=text, content_sha256="x", encoding="utf-8", pub_date=pub_date
    )


def test_first_copy_in_canonical_order_wins() -> None:
    sentence = "Le maréchal Haftar a lancé l'armée contre la capitale."
    late = segment_document(_doc("b.txt", sentence, dt.date(2019, 4, 6)))
    early = segment_document(_doc("z.txt", sentence.upper(), dt.date(2019, 4, 5)))
    undated = segment_document(_doc("a.txt", sentence))
    verdicts = dict((s.segment_id, v) for s, v in pick_canonical([*undated, *late, *early]))
    assert not verdicts[early[0].segment_id].is_duplicate
    for copy in (late[0], undated[0]):
        verdict = verdicts[copy.segment_id]
        assert verdict.is_duplicate and verdict.duplicate_kind == "exact"
        assert verdict.duplicate_of == early[0].segment_id


def test_exact_dedup_on_seeds(tmp_path: Path) -> None:
    documents = [parse_document(str(path), path.read_bytes()) for path in sorted(SEEDS.glob("*.txt"))]
    segments = [s for doc in documents for s in segment_document(doc)]
    azizia = [s for s in segments if s.text.startswith("La presse libyenne fait")]
    assert len(azizia) == 2
    verdicts = batch_dedup(documents, tmp_path)
    flagged = [(sid, v.duplicate_of) for sid, v in verdicts.items() if v.duplicate_kind == "exact"]
    assert flagged == [(azizia[1].segment_id, azizia[0].segment_id)]


def test_every_segment_gets_exactly_one_verdict(tmp_path: Path) -> None:
    doc = _doc("a.txt", "Une phrase assez longue ici. Une phrase assez longue ici. Court. Court.")
    segments = segment_document(doc)
    verdicts = batch_dedup([doc], tmp_path)
    assert [(s.text, verdicts[s.segment_id].is_duplicate) for s in segments] == [
        ("Une phrase assez longue ici.", False),
        ("Une phrase assez longue ici.", True),
        ("Court.", False),
        ("Court.", False),
    ]
