"""The batch dedup that keeps segments in their documents (`DeduplicateDocuments`) decides exactly
what the per-segment `Deduplicate` decides (streaming still runs that one), on real sentences with
controlled edits, against an index of an earlier run, with a new revision of an indexed document.

Both run on the DirectRunner in one pipeline; each result is saved by its matcher and compared here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import pickle
from collections import Counter
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that

from schemas import schema_for
from tests.test_dedup_quality import build_documents, build_labelled_set
from transforms.assemble import AssembledDocument
from transforms.dedup import Deduplicate, NearDedupConfig
from transforms.dedup.documents import (
    DeduplicateDocuments,
    decide,
    dedup_keys,
    index_key_batch,
    index_keys_of,
    segment_document_for_dedup,
)
from transforms.dedup.index import state_rows, within_horizon
from transforms.dedup.transform import with_fingerprint
from transforms.records import DedupVerdict, Document
from transforms.segment import SegmentConfig, segment_document

NEAR = NearDedupConfig()


def _save(actual: list, path: str) -> None:
    with open(path, "wb") as handle:
        pickle.dump(list(actual), handle)


def _load(path: Path) -> list:
    with open(path, "rb") as handle:
        return pickle.load(handle)


def _index_rows(documents: list[Document]) -> list[dict]:
    """`_state/segments` rows of documents ingested by an earlier run (all canonical there)."""
    rows = []
    for doc in documents:
        segments = [with_fingerprint(s, NEAR) for s in segment_document(doc)]
        item = AssembledDocument(
            doc, tuple(segments), tuple(DedupVerdict(s.segment_id, False) for s in segments)
        )
        rows.extend(row for table, row in state_rows(item, "earlier") if table == "state_segments")
    return rows


def test_same_verdicts_as_the_per_segment_dedup_with_an_index(tmp_path: Path) -> None:
    documents = [doc for doc, _ in build_documents(build_labelled_set(150, 60))]
    earlier, current = documents[:6], documents[6:]
    # A new revision of an indexed document: same sentences plus one; never a copy of itself.
    revised = earlier[0]
    current.append(
        dataclasses.replace(
            revised,
            doc_id="revision-2",
            text=revised.text + "\n\nUne phrase ajoutée à la deuxième version du texte publié.",
            revision=2,
            supersedes=revised.doc_id,
        )
    )
    index_rows = _index_rows(earlier)
    old_path, new_path = tmp_path / "old.pkl", tmp_path / "new.pkl"

    pipeline = TestPipeline()
    index = pipeline | "Index" >> beam.Create(index_rows)
    index_table = pa.Table.from_pylist(index_rows, schema=schema_for("state_segments"))
    half = index_table.num_rows // 2  # two record batches, as ReadFromParquetBatched gives them
    batches = pipeline | "IndexBatches" >> beam.Create([index_table.slice(0, half), index_table.slice(half)])
    docs = pipeline | "Docs" >> beam.Create(current)
    old = (
        docs
        | "Segments" >> beam.FlatMap(segment_document)
        | "PerSegment" >> Deduplicate(NEAR, index)
        | "Verdicts" >> beam.Map(lambda pair: pair[1])
    )
    index_keys = batches | "IndexKeys" >> beam.FlatMap(index_key_batch, None)
    new = (
        docs
        | "Segmented" >> beam.Map(segment_document_for_dedup, SegmentConfig(), NEAR)
        | "PerDocument" >> DeduplicateDocuments(NEAR, index_keys)
    )
    assert_that(
        old | "OldList" >> beam.combiners.ToList(), functools.partial(_save, path=str(old_path)), "Old"
    )
    assert_that(new, functools.partial(_save, path=str(new_path)), "New")
    pipeline.run().wait_until_finish()

    (old_verdicts,) = _load(old_path)
    (duplicates,) = _load(new_path)
    expected = {v.segment_id: v for v in old_verdicts if v.is_duplicate}
    assert duplicates == expected
    kinds = Counter(
        (v.duplicate_kind, v.duplicate_of.startswith(tuple(d.doc_id for d in earlier)))
        for v in expected.values()
    )
    # Not a vacuous comparison: exact and near copies, of this run's segments and of the index's.
    assert all(
        kinds[key] > 0 for key in (("exact", True), ("exact", False), ("near", True), ("near", False))
    ), kinds
    assert not any(v.segment_id.startswith("revision-2") and v.duplicate_of.startswith(revised.doc_id)
                   for v in expected.values())  # fmt: skip


def test_repeats_inside_a_document_are_fingerprinted_once() -> None:
    sentence = "Les forces du maréchal Haftar ont repris le contrôle de la ville de Gharyan jeudi."
    doc = Document("d", "d.txt", f"{sentence}\n\n{sentence}\n\nCourt.", "x", "utf-8")
    _, segments = segment_document_for_dedup(doc, SegmentConfig(), NEAR)
    assert [bool(s.bands) for s in segments] == [True, False, False]
    duplicates = decide(dedup_keys((doc, segments)), NEAR)
    assert list(duplicates.values()) == [
        DedupVerdict(segments[1].segment_id, True, "exact", segments[0].segment_id, 1.0)
    ]


def test_index_keys_are_the_rows_within_the_horizon_column_by_column() -> None:
    """`index_key_batch` keeps the rows `within_horizon` keeps (undatable run ids included) and
    `index_keys_of` reads them back as canonical, earlier-than-this-run keys, lists as tuples."""
    rows = [
        {"segment_id": f"d{i}-p0000-s0000", "content_hash": f"h{i % 3}", "shingles": [i, i + 7],
         "bands": [i * 11, i * 13] if i % 2 else None, "run_id": run_id}
        for i, run_id in enumerate(["20240101T000000Z-aaaaaa", "20261120T093000Z-bbbbbb", "legacy"] * 3)
    ]  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=schema_for("state_segments"))
    cutoff = dt.date(2026, 11, 1)
    (kept,) = index_key_batch(table, cutoff)
    keys = list(index_keys_of(kept))
    assert [k.segment_id for k in keys] == [r["segment_id"] for r in rows if within_horizon(r, cutoff)]
    assert len(keys) == 6
    assert all(k.from_index and k.order_key == keys[0].order_key < (1,) for k in keys)
    assert keys[0].shingles == (1, 8) and keys[0].bands == (11, 13) and keys[1].bands == ()
    assert len(list(index_keys_of(next(index_key_batch(table, None))))) == len(rows)
    (legacy,) = index_key_batch(table, dt.date(2030, 1, 1))  # only the undatable rows are left
    assert [k.segment_id[:2] for k in index_keys_of(legacy)] == ["d2", "d5", "d8"]
