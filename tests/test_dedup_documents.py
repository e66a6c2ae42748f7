"""The batch dedup that keeps segments in their documents (`DeduplicateDocuments`) decides exactly
what the per-segment `Deduplicate` decides (streaming still runs that one), on real sentences with
controlled edits, against an index of an earlier run, with a new revision of an indexed document.

Both run on the DirectRunner in one pipeline; each result is saved by its matcher and compared here.
"""

from __future__ import annotations

import dataclasses
import functools
import pickle
from collections import Counter
from pathlib import Path

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that

from tests.test_dedup_quality import build_documents, build_labelled_set
from transforms.assemble import AssembledDocument
from transforms.dedup import Deduplicate, NearDedupConfig
from transforms.dedup.documents import (
    DeduplicateDocuments,
    decide,
    dedup_keys,
    index_key,
    segment_document_for_dedup,
)
from transforms.dedup.index import state_rows
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
    docs = pipeline | "Docs" >> beam.Create(current)
    old = (
        docs
        | "Segments" >> beam.FlatMap(segment_document)
        | "PerSegment" >> Deduplicate(NEAR, index)
        | "Verdicts" >> beam.Map(lambda pair: pair[1])
    )
    index_keys = index | "IndexKeys" >> beam.Map(lambda row: (index_key(row),))
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
