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

Copies of a body ingested by an *earlier* run are not grouped here (their canonical's verdicts are
in earlier runs' tables, not in this run): they are decided against the index as before, and skip
NER and date extraction because their segments are duplicates. `newsbeam watch` segments each
document of a window on its own (no grouping before the window's decision): same verdicts, in full.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Iterator, Mapping

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.dedup.decide import SegmentedDocument, segment_document_for_dedup, verdicts_for
from transforms.dedup.near import NearDedupConfig
from transforms.records import DedupVerdict, Document, Segment
from transforms.segment import SegmentConfig


def body_key(doc: Document) -> bytes:
    """The grouping key of a document's body (its exact text)."""
    return hashlib.blake2b(doc.text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


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


class SegmentOncePerBody(beam.PTransform):
    """Document -> SegmentedDocument, each body segmented and fingerprinted once per delivery."""

    def __init__(self, segment: SegmentConfig, near: NearDedupConfig) -> None:
        super().__init__()
        self._segment = segment
        self._near = near

    def expand(self, docs: beam.PCollection) -> beam.PCollection:
        return (
            docs
            | "KeyByBody" >> beam.Map(lambda doc: (body_key(doc), doc))
            | "GroupByBody" >> beam.GroupByKey()
            | "SegmentBody" >> beam.FlatMap(_segment_group, self._segment, self._near)
        )
