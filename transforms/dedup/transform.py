"""`Deduplicate`: exact then near-duplicate flags for every segment, within a run and across runs.

A PCollection of segments in, (segment, verdict) pairs out: streaming uses it within each window.
Batch runs use `documents.py`, which makes the same decisions without taking segments out of their
documents (tests/test_dedup_documents.py compares the two).

1. Exact: segments of this run and the index of earlier runs are grouped by content hash
   (CoGroupByKey); an indexed copy is always canonical, else the earliest copy of this run.
2. Fingerprint: each exact-canonical segment gets its shingle hashes and LSH band keys.
3. Near: the fingerprints of exact-canonical segments and of the index are collected per window
   (CombineGlobally) and bucketed by LSH band key in one process; candidates are verified on their
   shingle sets, and the verified edges (few: one per copy) are resolved to clusters.
4. Merge: a near-duplicate points at its cluster root; exact copies of it are re-pointed there too,
   so `duplicate_of` always names a canonical segment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.assemble import PairsPerDocument
from transforms.dedup.exact import exact_verdicts
from transforms.dedup.near import (
    Fingerprint,
    NearDedupConfig,
    fingerprint,
    near_edges,
    resolve_clusters,
)
from transforms.records import INDEX_ORDER, DedupVerdict, Segment

DEFAULT_NEAR = NearDedupConfig()


def with_fingerprint(segment: Segment, config: NearDedupConfig) -> Segment:
    """The segment with its near-dedup fingerprint (empty when too short to be judged)."""
    if not segment.dedup_eligible:
        return segment
    found = fingerprint(segment.segment_id, segment.order_key, segment.text, config)
    if found is None:
        return segment
    return dataclasses.replace(segment, shingles=found.shingles, bands=found.bands)


def fingerprint_canonical(
    pair: tuple[Segment, DedupVerdict], config: NearDedupConfig
) -> tuple[Segment, DedupVerdict]:
    """The pair with the segment's fingerprint when it is exact-canonical. Why after exact dedup:
    exact copies never take part in near dedup nor in the index, so MinHash on them is wasted,
    and the hash shuffle carries lighter segments."""
    segment, verdict = pair
    return pair if verdict.is_duplicate else (with_fingerprint(segment, config), verdict)


def resolve_exact(element: tuple[str, dict[str, Iterable]]) -> Iterator[tuple[Segment, DedupVerdict]]:
    """Verdicts for the copies of one content hash (`exact_verdicts`: an indexed copy wins)."""
    _, grouped = element
    current = list(grouped["current"])
    if current:
        yield from exact_verdicts(current, sorted(grouped["index"]))


def index_fingerprint(row: dict) -> Iterator[Fingerprint]:
    if row.get("bands"):
        yield Fingerprint(row["segment_id"], INDEX_ORDER, tuple(row["shingles"]), tuple(row["bands"]), True)


def current_fingerprint(pair: tuple[Segment, DedupVerdict]) -> Iterator[Fingerprint]:
    segment, verdict = pair
    if not verdict.is_duplicate and segment.bands:
        yield Fingerprint(
            segment.segment_id,
            segment.order_key,
            segment.shingles,
            segment.bands,
            supersedes=segment.supersedes,
        )


def apply_clusters(
    pair: tuple[Segment, DedupVerdict], clusters: dict[str, tuple[str, float]]
) -> tuple[Segment, DedupVerdict]:
    """Final verdict: near-duplicates point at their cluster root, and so do exact copies of them."""
    segment, verdict = pair
    target = verdict.duplicate_of if verdict.is_duplicate else segment.segment_id
    if target in clusters:
        root, score = clusters[target]
        return segment, DedupVerdict(segment.segment_id, True, "near", root, score)
    return pair


def apply_document_clusters(
    element: tuple[str, list[tuple[Segment, DedupVerdict]]], clusters: dict[str, tuple[str, float]]
) -> Iterator[tuple[Segment, DedupVerdict]]:
    """`apply_clusters` to each (segment, verdict) of one document."""
    for pair in element[1]:
        yield apply_clusters(pair, clusters)


class _CountVerdicts(beam.DoFn):
    def __init__(self) -> None:
        self._exact = Metrics.counter("newsbeam", "duplicates_exact")
        self._near = Metrics.counter("newsbeam", "duplicates_near")

    def process(self, pair: tuple[Segment, DedupVerdict]) -> Iterator[tuple[Segment, DedupVerdict]]:
        kind = pair[1].duplicate_kind
        if kind == "exact":
            self._exact.inc()
        elif kind == "near":
            self._near.inc()
        yield pair


class Deduplicate(beam.PTransform):
    """Segment -> (Segment with fingerprint, DedupVerdict); `index` = rows of `_state/segments`."""

    def __init__(self, config: NearDedupConfig = DEFAULT_NEAR, index: beam.PCollection | None = None) -> None:
        super().__init__()
        self._config = config
        self._index = index

    def expand(self, segments: beam.PCollection) -> beam.PCollection:
        config = self._config
        eligible, short = segments | "Eligible" >> beam.Partition(
            lambda s, _: 0 if s.dedup_eligible else 1, 2
        )

        by_hash = eligible | "ByHash" >> beam.Map(lambda s: (s.content_hash, s))
        if self._index is None:  # no history (and the only choice in streaming, where windows differ)
            exact = (
                by_hash
                | "GroupByHash" >> beam.GroupByKey()
                | "ResolveExact"
                >> beam.FlatMapTuple(
                    lambda key, copies: resolve_exact((key, {"current": copies, "index": []}))
                )
                | "Fingerprint" >> beam.Map(fingerprint_canonical, config)
            )
            fingerprints = exact | "CanonicalFingerprints" >> beam.FlatMap(current_fingerprint)
        else:
            index = self._index
            exact = (
                {
                    "current": by_hash,
                    "index": index
                    | "IndexByHash" >> beam.Map(lambda r: (r["content_hash"], r["segment_id"])),
                }
                | "GroupByHash" >> beam.CoGroupByKey()
                | "ResolveExact" >> beam.FlatMap(resolve_exact)
                | "Fingerprint" >> beam.Map(fingerprint_canonical, config)
            )
            fingerprints = (
                exact | "CanonicalFingerprints" >> beam.FlatMap(current_fingerprint),
                index | "IndexFingerprints" >> beam.FlatMap(index_fingerprint),
            ) | "AllFingerprints" >> beam.Flatten()
        # Fingerprints are one small element per canonical segment: one worker buckets and verifies
        # them per window (`near_edges`), and resolves the verified edges (about one per copy).
        clusters = (
            fingerprints
            | "CollectFingerprints"
            >> beam.CombineGlobally(beam.combiners.ToListCombineFn()).without_defaults()
            | "Clusters" >> beam.Map(lambda prints: resolve_clusters(near_edges(prints, config)))
        )
        # The verdicts wait for the clusters (a side input); grouped per document while they wait,
        # so the runner buffers one element per document rather than one per segment.
        final = (
            exact
            | "PerDocument" >> PairsPerDocument()
            | "ApplyClusters"
            >> beam.FlatMap(apply_document_clusters, beam.pvalue.AsSingleton(clusters, default_value={}))
        )
        passed = short | "NotEligible" >> beam.Map(lambda s: (s, DedupVerdict(s.segment_id, False)))
        return (final, passed) | "Merge" >> beam.Flatten() | "Count" >> beam.ParDo(_CountVerdicts())
