"""The keyed dedup decision (per content hash, per LSH band: `transforms/dedup/keyed.py`) gives the
verdicts of the one-combine decision (`batch.py`) and of the pure `decide`, on the DirectRunner.

The corpus has what could make a keyed version differ: exact and near copies across documents (the
labelled real-sentence set of test_dedup_quality), copies of earlier runs' segments (an index), a
new revision of an indexed document (never a copy of itself), and near variants of one boilerplate
sentence in more documents than `max_compare`, so LSH buckets overflow and which pairs are compared
depends on canonical order inside a bucket.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.runner import dedup_decision_for
from schemas.tables import TABLE_DIRS
from tests.conftest import batch_dedup, last_manifest, run_cli
from tests.test_crash_safety import table_rows
from tests.test_dedup_quality import build_documents, build_labelled_set
from transforms.dedup.batch import index_keys_of
from transforms.dedup.decide import decide, dedup_keys, segment_document_for_dedup
from transforms.dedup.near import NearDedupConfig
from transforms.records import Document, doc_id_of_segment
from transforms.segment import SegmentConfig

NEAR = NearDedupConfig()
BOILERPLATE = "Selon un bilan provisoire communiqué par les autorités locales, {n} personnes ont été blessées"


def _keys(documents: list[Document]) -> list:
    return [k for d in documents for k in dedup_keys(segment_document_for_dedup(d, SegmentConfig(), NEAR))]


def index_table(documents: list[Document]) -> pa.Table:
    """`_state/segments` key columns of an earlier run over `documents`: its canonical segments."""
    keys = _keys(documents)
    duplicates = decide(keys, NEAR)
    kept = [k for k in keys if k.segment_id not in duplicates]
    ints = pa.list_(pa.int64())
    return pa.table(
        {
            "segment_id": [k.segment_id for k in kept],
            "content_hash": [k.content_hash for k in kept],
            "shingles": pa.array([list(k.shingles) for k in kept], ints),
            "bands": pa.array([list(k.bands) for k in kept], ints),
        }
    )


@pytest.fixture(scope="module")
def corpus() -> tuple[list[Document], list[pa.Table]]:
    documents = [d for d, _ in build_documents(build_labelled_set())]
    earlier = [d for d in documents if d.source.startswith("a-orig/")]
    later = [d for d in documents if not d.source.startswith("a-orig/")]
    first = earlier[0]
    revision = dataclasses.replace(
        first,
        doc_id=first.doc_id + "-r2",
        text=first.text + "\n\nUne phrase ajoutée à la nouvelle version de cet article publié plus tôt.",
        revision=2,
        supersedes=first.doc_id,
    )
    boilerplate = [
        Document(
            f"boiler-{i:03d}",
            f"c-wire/{i:03d}.txt",
            BOILERPLATE.format(n=i % 90 + 10) + ".\n\n" + f"Dépêche numéro {i} sans autre contenu notable.",
            "x",
            "utf-8",
            dt.date(2019, 3, 1 + i % 20),
        )
        for i in range(150)
    ]
    # the index holds half the originals: the other half are decided within this run
    return [*later, *earlier[len(earlier) // 2 :], revision, *boilerplate], [
        index_table(earlier[: len(earlier) // 2])
    ]


def test_keyed_decision_gives_the_verdicts_of_the_combine_and_of_decide(
    corpus: tuple[list[Document], list[pa.Table]], tmp_path: Path
) -> None:
    documents, index = corpus
    pure = decide([*_keys(documents), *(k for t in index for k in index_keys_of(t))], NEAR)
    combine = batch_dedup(documents, tmp_path, index=index)
    keyed = batch_dedup(documents, tmp_path, keyed=True, index=index)
    duplicates = {k: v for k, v in keyed.items() if v.is_duplicate}
    assert duplicates == pure
    assert keyed == combine

    # the corpus exercises what the keyed path splits up
    kinds = [v.duplicate_kind for v in duplicates.values()]
    assert kinds.count("exact") >= 20 and kinds.count("near") >= 100, kinds
    indexed_ids = set(index[0].column("segment_id").to_pylist())
    assert sum(v.duplicate_of in indexed_ids for v in duplicates.values()) >= 20
    boiler = [v for k, v in keyed.items() if k.startswith("boiler-") and v.duplicate_kind == "near"]
    assert len(boiler) > NEAR.max_compare  # more near copies than one bucket compares
    revision = next(d for d in documents if d.supersedes)
    revised = [v for k, v in keyed.items() if doc_id_of_segment(k) == revision.doc_id]
    assert len(revised) > 2
    pointed_at = {doc_id_of_segment(v.duplicate_of) for v in revised if v.duplicate_of}
    assert revision.supersedes not in pointed_at  # a new revision never copies its previous one


@pytest.mark.parametrize(
    ("choice", "args", "expected"),
    [
        ("auto", [], "combine"),
        ("auto", ["--runner=DirectRunner"], "combine"),
        ("auto", ["--runner", "PrismRunner"], "combine"),
        ("auto", ["--runner=FlinkRunner", "--parallelism=2"], "keyed"),
        ("auto", ["--runner=apache_beam.runners.dataflow.dataflow_runner.DataflowRunner"], "keyed"),
        ("keyed", [], "keyed"),
        ("combine", ["--runner=FlinkRunner"], "combine"),
    ],
)
def test_auto_decides_keyed_off_the_local_runners(choice: str, args: list[str], expected: str) -> None:
    assert dedup_decision_for(choice, args) == expected


def test_run_with_the_keyed_decision_writes_the_tables_of_the_default_run(
    seeds_run: tuple[Path, object], seeds_input: Path, tmp_path: Path
) -> None:
    """From the CLI, on the DirectRunner: every table row for row, and the manifest says which."""
    direct, _ = seeds_run
    output = tmp_path / "keyed"
    run_cli("run", "-i", str(seeds_input / "*.txt*"), "-o", str(output), "--dedup-decision", "keyed", ok=(3,))
    assert last_manifest(output)["options"]["dedup_decision"] == "keyed"
    assert last_manifest(direct)["options"]["dedup_decision"] == "combine"
    assert last_manifest(output)["counts"] == last_manifest(direct)["counts"]
    assert last_manifest(output)["counts"]["duplicate_segments"] > 0
    for table in TABLE_DIRS:
        assert table_rows(output, table) == table_rows(direct, table), table
