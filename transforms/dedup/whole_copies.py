"""Whole-body copies in one delivery: a body is segmented and fingerprinted once, and the verdicts of
its later copies are derived from those of its canonical copy.

Why: a renamed file or a wire story delivered twice has the same body. Every segment of the later
copy has the same text as the canonical copy's segment at the same position, which comes earlier in
canonical order (`Document.order_key`: the copy's document sorts after it), so the decision
(`decide.py`) can only give it one verdict: the canonical segment's own verdict when that one is a
duplicate, else "exact copy of the canonical segment". Segmenting and fingerprinting it (2.0 of the
2.8 ms of CPU a copy cost in process) only to reach that answer is waste; so is sending its keys
through the run-wide decision, where they never change another segment's verdict (a segment that
is not first in its hash group decides nothing).

How: documents are grouped by body hash (`body_key`, one shuffle of the documents); in each group the
earliest document that is not a revision is segmented as usual, the others that are not revisions
get its segments renamed to their own ids (no fingerprints, `Document.whole_copy_of` set), and
`copy_verdicts` derives their verdicts where they meet the run's duplicates (`pipeline/build.py`).
Revisions (`Document.supersedes`) go the usual way: the rule that a revision is never a copy of its
own previous revision can give them another verdict than their twin's.

Copies of a body ingested by an *earlier* run cannot take their verdicts from a canonical copy
here (its verdicts are in that run's tables), but their segments are exact copies of indexed ones
almost always: `_state/documents` keeps each ingested body's hash, joined here in the same shuffle
(`CoGroupByKey`); such a document is marked `body_ingested` and segmented without fingerprints
(MinHash was 1.3 of its 2.2 ms of CPU); the decision fingerprints the few of its segments that no
indexed segment matches exactly (`decide.decide_exact`), and assembly those that end canonical (for
`_state/segments`), so the verdicts and the state are those of the full decision whatever the hint
says (property test in `tests/test_properties.py`). `newsbeam watch` segments each document of a
window on its own (no grouping before the window's decision): same verdicts, in full.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.dedup.decide import SegmentedDocument, segment_document_for_dedup, verdicts_for
from transforms.dedup.near import NearDedupConfig
from transforms.dedup.state import body_key, within_horizon
from transforms.records import DedupVerdict, Document, Segment
from transforms.segment import SegmentConfig


def _renamed(segment_id: str, old_doc_id: str, new_doc_id: str) -> str:
    """The id of the segment at the same position in another document (`<doc_id>-pNNNN-sNNNN`)."""
    return new_doc_id + segment_id[len(old_doc_id) :]


def renamed_segments(segments: Iterable[Segment], doc: Document) -> tuple[Segment, ...]:
    """A canonical copy's segments as those of `doc` (same body): its ids, its order, no fingerprints
    (a copy's fingerprints are never used: see the module docstring)."""
    return tuple(
        dataclasses.replace(
            segment,
            doc_id=doc.doc_id,
            segment_id=_renamed(segment.segment_id, segment.doc_id, doc.doc_id),
            doc_order=doc.order_key,
            shingles=(),
            bands=(),
            supersedes=None,
        )
        for segment in segments
    )


def segment_bodies(
    docs: Iterable[Document], segment: SegmentConfig, near: NearDedupConfig
) -> Iterator[SegmentedDocument]:
    """The segmented documents of one body: the canonical copy and revisions segmented and
    fingerprinted, the other copies renamed from the canonical's segments (`whole_copy_of` set)."""
    ordered = sorted(docs, key=lambda doc: (doc.order_key, doc.doc_id))
    canonical: SegmentedDocument | None = None
    for doc in ordered:
        if canonical is not None and doc.supersedes is None:
            Metrics.counter("newsbeam", "whole_copies").inc()
            segmented = (
                dataclasses.replace(doc, whole_copy_of=canonical[0].doc_id),
                renamed_segments(canonical[1], doc),
            )
        else:
            segmented = segment_document_for_dedup(doc, segment, near)
            if canonical is None and doc.supersedes is None:
                canonical = segmented
        Metrics.counter("newsbeam", "segments").inc(len(segmented[1]))
        yield segmented


def copy_verdicts(
    segments: Iterable[Segment], canonical_doc_id: str, duplicates: Mapping[str, DedupVerdict]
) -> tuple[DedupVerdict, ...]:
    """The verdicts of a whole copy's segments, from those of its canonical copy (`duplicates`: the
    delivery's duplicate verdicts; absent = canonical), equal to what `decide` would give them."""
    verdicts = []
    for segment in segments:
        if not segment.dedup_eligible:  # never judged, like the canonical's
            verdicts.append(DedupVerdict(segment.segment_id, False))
            continue
        original = _renamed(segment.segment_id, segment.doc_id, canonical_doc_id)
        theirs = duplicates.get(original)
        if theirs is None:
            verdicts.append(DedupVerdict(segment.segment_id, True, "exact", original, 1.0))
        else:  # the canonical segment's own verdict, under the copy's id
            verdicts.append(dataclasses.replace(theirs, segment_id=segment.segment_id))
    return tuple(verdicts)


def delivery_verdicts(
    element: SegmentedDocument, duplicates: Mapping[str, DedupVerdict]
) -> tuple[DedupVerdict, ...]:
    """One verdict per segment of a document of the delivery: decided (`verdicts_for`), or derived
    from its canonical copy's for a whole copy (`copy_verdicts`)."""
    doc, segments = element
    if doc.whole_copy_of is not None:
        return copy_verdicts(segments, doc.whole_copy_of, duplicates)
    return verdicts_for(segments, duplicates)


def _segment_group(
    group: tuple[bytes, Iterable[Document]], segment: SegmentConfig, near: NearDedupConfig
) -> Iterator[SegmentedDocument]:
    return segment_bodies(group[1], segment, near)


def _segment_joined_group(
    group: tuple[bytes, dict[str, Iterable]], segment: SegmentConfig, near: NearDedupConfig
) -> Iterator[SegmentedDocument]:
    """A body's documents with the `_state/documents` rows of the same body (within the horizon):
    where there are some, the documents are marked `body_ingested` (fingerprints deferred)."""
    docs = list(group[1]["doc"])
    if docs and any(True for _ in group[1]["ingested"]):
        Metrics.counter("newsbeam", "ingested_bodies").inc(len(docs))
        docs = [dataclasses.replace(doc, body_ingested=True) for doc in docs]
    return segment_bodies(docs, segment, near)


def _ingested_body(row: dict, cutoff: dt.date | None) -> Iterator[tuple[bytes, None]]:
    """The body key of a `_state/documents` row within the horizon (none for rows written before
    the column existed: their copies are fingerprinted as any document)."""
    if row.get("body_hash") and within_horizon(row, cutoff):
        yield bytes.fromhex(row["body_hash"]), None


class SegmentOncePerBody(beam.PTransform):
    """Document -> SegmentedDocument, each body segmented and fingerprinted once per delivery, and
    not fingerprinted up front when an earlier run ingested it (`ingested`: rows of
    `_state/documents`, None on a first run; `cutoff`: the index horizon's first day)."""

    def __init__(
        self,
        segment: SegmentConfig,
        near: NearDedupConfig,
        ingested: beam.PCollection | None = None,
        cutoff: dt.date | None = None,
    ) -> None:
        super().__init__()
        self._segment = segment
        self._near = near
        self._ingested = ingested
        self._cutoff = cutoff

    def expand(self, docs: beam.PCollection) -> beam.PCollection:
        keyed = docs | "KeyByBody" >> beam.Map(lambda doc: (body_key(doc.text), doc))
        if self._ingested is None:
            return (
                keyed
                | "GroupByBody" >> beam.GroupByKey()
                | "SegmentBody" >> beam.FlatMap(_segment_group, self._segment, self._near)
            )
        bodies = self._ingested | "IngestedBodies" >> beam.FlatMap(_ingested_body, self._cutoff)
        return (
            {"doc": keyed, "ingested": bodies}
            | "GroupByBody" >> beam.CoGroupByKey()
            | "SegmentBody" >> beam.FlatMap(_segment_joined_group, self._segment, self._near)
        )
