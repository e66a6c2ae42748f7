"""Exact dedup: canonical choice (pure) and the keyed Beam transform on the DirectRunner."""

from __future__ import annotations

import datetime as dt

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import SEEDS
from transforms.dedup import Deduplicate, pick_canonical
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


def test_exact_dedup_transform_on_seeds() -> None:
    segments = []
    for path in sorted(SEEDS.glob("*.txt")):
        segments.extend(segment_document(parse_document(str(path), path.read_bytes())))
    azizia = [s for s in segments if s.text.startswith("La presse libyenne fait")]
    assert len(azizia) == 2
    expected = [(azizia[1].segment_id, azizia[0].segment_id)]

    with TestPipeline() as p:
        flagged = (
            p
            | beam.Create(segments)
            | Deduplicate()
            | beam.Filter(lambda pair: pair[1].duplicate_kind == "exact")
            | beam.Map(lambda pair: (pair[0].segment_id, pair[1].duplicate_of))
        )
        assert_that(flagged, equal_to(expected))


def test_every_segment_gets_exactly_one_verdict() -> None:
    doc = _doc("a.txt", "Une phrase assez longue ici. Une phrase assez longue ici. Court. Court.")
    segments = segment_document(doc)
    with TestPipeline() as p:
        verdicts = (
            p
            | beam.Create(segments)
            | Deduplicate()
            | beam.Map(lambda pair: (pair[0].text, pair[1].is_duplicate))
        )
        assert_that(
            verdicts,
            equal_to(
                [
                    ("Une phrase assez longue ici.", False),
                    ("Une phrase assez longue ici.", True),
                    ("Court.", False),  # too short to be flagged
                    ("Court.", False),
                ]
            ),
        )
