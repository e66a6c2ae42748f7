"""The one place where duplicates are decided, for batch runs and for stream windows alike.

A *delivery* is what arrives together: one `newsbeam run`, or one window of `newsbeam watch`. Its
segments are decided against the *history* (canonical segments of earlier deliveries: earlier runs'
`_state/segments`, earlier windows' Beam state) by `decide`, a pure function:

1. exact: per content hash, a historical copy is the original (never the document's own previous
   revision), else the earliest copy of this delivery in canonical order (`Segment.order_key`);
2. near: MinHash LSH candidates among the exact-canonical fingerprints of this delivery and the
   history's, verified on their shingle sets (`near.near_edges`), resolved in canonical order
   (`near.resolve_clusters`); exact copies of a near-duplicate point at its root too.

The Beam wrappers only bring `decide` its inputs: `batch.py` (a run's keys and the index tables, one
combine), `streaming.py` (a window's keys and the history entries that share a content hash or an
LSH band with them, from keyed Beam state). Because the history holds canonical segments only, a
delivery cut in two gives the verdicts of one delivery, as long as originals are delivered no later
than their copies (README, "Deduplication": the rule and its one exception).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from apache_beam.metrics import Metrics

from transforms.dedup.exact import exact_verdicts
from transforms.dedup.near import (
    Fingerprint,
    NearDedupConfig,
    fingerprint,
    fingerprints,
    near_edges,
    resolve_clusters,
)
from transforms.records import DedupVerdict, Document, Segment, cheap_pickle, history_order
from transforms.segment import SegmentConfig, segment_document


@cheap_pickle
@dataclass(frozen=True, slots=True)
class DedupKey:
    """What the decision needs of one segment (this delivery's or the history's): no text, but
    where its fingerprint was deferred (`text`)."""

    segment_id: str
    content_hash: str
    order_key: tuple
    shingles: tuple[int, ...] = ()
    bands: tuple[int, ...] = ()
    supersedes: str | None = None
    from_index: bool = False
    #: the segment's text, in place of a fingerprint deferred (`Document.body_ingested`): the
    #: decision fingerprints it only where no indexed segment matches it exactly (`decide_exact`)
    text: str | None = None

    def as_history(self) -> DedupKey:
        """The same key once delivered: canonical, earlier than anything delivered later, and in
        its delivered order among the history (`history_order`)."""
        return dataclasses.replace(
            self, order_key=history_order(self.order_key), supersedes=None, from_index=True
        )


#: One document after segmentation: the document and its segments in reading order.
SegmentedDocument = tuple[Document, tuple[Segment, ...]]


def fingerprint_segments(segments: Sequence[Segment], near: NearDedupConfig) -> list[Segment]:
    """The segments, each eligible one with its near-dedup fingerprint.

    A text repeated inside the document is fingerprinted once: its later copies are exact copies of
    the first whatever happens elsewhere, so their fingerprint would never be used.
    """
    segments = list(segments)
    first: list[int] = []
    seen: set[str] = set()
    for index, item in enumerate(segments):
        if item.dedup_eligible and item.content_hash not in seen:
            seen.add(item.content_hash)
            first.append(index)
    return _fingerprinted(segments, first, near)


def _fingerprinted(segments: list[Segment], chosen: Sequence[int], near: NearDedupConfig) -> list[Segment]:
    """`segments` with the fingerprints of those at the `chosen` positions (one batched MinHash)."""
    found = fingerprints(
        [(segments[i].segment_id, segments[i].order_key, segments[i].text) for i in chosen], near
    )
    for index, print_ in zip(chosen, found, strict=True):
        if print_ is not None:
            segments[index] = dataclasses.replace(
                segments[index], shingles=print_.shingles, bands=print_.bands
            )
    return segments


def with_deferred_fingerprints(
    segments: Sequence[Segment], verdicts: Sequence[DedupVerdict], near: NearDedupConfig
) -> tuple[Segment, ...]:
    """A decided document's segments, its canonical ones fingerprinted if they are not yet.

    Why: a document whose fingerprints were deferred (`Document.body_ingested`) still writes its
    canonical segments into `_state/segments` for later runs' near dedup, with the fingerprint
    `fingerprint_segments` would have given them (the first of each text in the document, and
    only a first one can be canonical).
    """
    chosen = [
        index
        for index, (item, verdict) in enumerate(zip(segments, verdicts, strict=True))
        if item.dedup_eligible and not verdict.is_duplicate and not item.bands
    ]
    return tuple(_fingerprinted(list(segments), chosen, near)) if chosen else tuple(segments)


def segment_document_for_dedup(
    doc: Document, segment: SegmentConfig, near: NearDedupConfig
) -> SegmentedDocument:
    """The document's segments, fingerprinted (`fingerprint_segments`), unless its body was
    ingested by an earlier run (`Document.body_ingested`): then its segments are all but certain
    to be exact copies of indexed ones, which need no fingerprint, and `decide_exact` fingerprints
    those that are not."""
    segments = segment_document(doc, segment)
    if doc.body_ingested:
        return doc, tuple(segments)
    return doc, tuple(fingerprint_segments(segments, near))


def dedup_keys(element: SegmentedDocument) -> tuple[DedupKey, ...]:
    """The keys of a document's eligible segments (with their text when the document's
    fingerprints are deferred); none for a whole copy (`whole_copies.py`: its verdicts are derived
    from its canonical copy's, and its keys would change no other verdict)."""
    doc, segments = element
    if doc.whole_copy_of is not None:
        return ()
    deferred = doc.body_ingested
    return tuple(
        DedupKey(
            s.segment_id,
            s.content_hash,
            s.order_key,
            s.shingles,
            s.bands,
            s.supersedes,
            text=s.text if deferred else None,
        )
        for s in segments
        if s.dedup_eligible
    )


def decide(keys: Iterable[DedupKey], config: NearDedupConfig) -> dict[str, DedupVerdict]:
    """Verdicts of the duplicates among this delivery's keys (absent = canonical); keys with
    `from_index` are the history (always canonical, always earlier).

    The three steps are separate functions so that `keyed.py` can run the first per content hash
    and the second per LSH band on a distributed runner, and get the same verdicts.
    """
    by_hash: dict[str, list[DedupKey]] = {}
    for key in keys:
        by_hash.setdefault(key.content_hash, []).append(key)
    exact: dict[str, DedupVerdict] = {}
    prints: list[Fingerprint] = []
    for content_hash in sorted(by_hash):
        for outcome in decide_exact(by_hash[content_hash], config):
            if isinstance(outcome, Fingerprint):
                prints.append(outcome)
            else:
                exact[outcome.segment_id] = outcome
    return with_near(exact, resolve_clusters(near_edges(prints, config)))


def decide_exact(copies: Iterable[DedupKey], config: NearDedupConfig) -> Iterator[DedupVerdict | Fingerprint]:
    """Step 1, for the keys of one content hash: the verdicts of this delivery's exact copies, and
    the fingerprints that go on to near dedup (this delivery's exact-canonical keys and the history's
    keys, where they have one; a deferred one, `DedupKey.text`, is made here)."""
    current: list[DedupKey] = []
    indexed: list[str] = []
    for key in copies:
        if key.from_index:
            indexed.append(key.segment_id)
            if key.bands:
                yield Fingerprint(key.segment_id, key.order_key, key.shingles, key.bands, True)
        else:
            current.append(key)
    for key, verdict in exact_verdicts(current, sorted(indexed)):
        if verdict.is_duplicate:
            yield verdict
        elif key.bands:
            yield Fingerprint(
                key.segment_id, key.order_key, key.shingles, key.bands, supersedes=key.supersedes
            )
        elif key.text is not None:
            found = fingerprint(key.segment_id, key.order_key, key.text, config)
            if found is not None:
                yield dataclasses.replace(found, supersedes=key.supersedes)


def with_near(
    exact: Mapping[str, DedupVerdict], clusters: Mapping[str, tuple[str, float]]
) -> dict[str, DedupVerdict]:
    """Step 3: the exact verdicts, plus the near-duplicates of `resolve_clusters` (step 2 is
    `near.near_edges` or, per band, `near.bucket_edges`); exact copies of a near-duplicate point at
    its cluster root too. Only this delivery's segments are ever the later side of an edge."""
    duplicates = dict(exact)
    for segment_id, (root, score) in clusters.items():
        duplicates[segment_id] = DedupVerdict(segment_id, True, "near", root, score)
    for segment_id, verdict in exact.items():
        if verdict.duplicate_kind == "exact" and verdict.duplicate_of in clusters:
            root, score = clusters[verdict.duplicate_of]
            duplicates[segment_id] = DedupVerdict(segment_id, True, "near", root, score)
    return duplicates


def verdicts_for(
    segments: Iterable[Segment], duplicates: Mapping[str, DedupVerdict]
) -> tuple[DedupVerdict, ...]:
    """One verdict per segment, in the segments' order."""
    return tuple(duplicates.get(s.segment_id) or DedupVerdict(s.segment_id, False) for s in segments)


_DUPLICATE_COUNTERS = {kind: Metrics.counter("newsbeam", f"duplicates_{kind}") for kind in ("exact", "near")}


def count_verdicts(verdicts: Iterable[DedupVerdict]) -> None:
    """The duplicate counters, counted where verdicts meet their documents (batch and streaming)."""
    for verdict in verdicts:
        if verdict.duplicate_kind in _DUPLICATE_COUNTERS:
            _DUPLICATE_COUNTERS[verdict.duplicate_kind].inc()
