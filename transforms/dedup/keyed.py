"""Keyed batch wrapper of the dedup decision, for distributed runners (Flink, Dataflow, Spark).

`batch.py` decides a run in one combine: the fastest shape on one machine, but the whole run's keys
(shingles and band keys included) and the index meet in one worker. Here the same three steps of
`decide.decide` run keyed, so the part that grows with the data spreads over workers:

1. `decide_exact` per content hash (a GroupByKey on the hash): exact verdicts, and the fingerprints
   that go on to near dedup;
2. `near.bucket_edges` per LSH band key (a GroupByKey on each band of each fingerprint): the verified
   edges of one bucket; an edge found in several buckets is kept once (a GroupByKey on the pair);
3. `resolve_clusters` + `with_near` in one combine over what is left: the exact verdicts and the
   verified edges, i.e. the duplicates only, which is what every document reads as a side input in
   `batch.py` too.

Same verdicts as `batch.py` (tests/test_dedup_keyed.py compares them on the same keys, and
tests/test_flink.py runs this at parallelism 2 against the DirectRunner's rows). The price is a
shuffle of every fingerprint once per band (32 copies): on the local runner that costs more than the
decision itself (README, "Deduplication"), hence `--dedup-decision auto` picks this one only off the
local runners.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import apache_beam as beam

from transforms.dedup.batch import index_keys_of
from transforms.dedup.decide import DedupKey, decide_exact, dedup_keys, with_near
from transforms.dedup.near import Edge, Fingerprint, NearDedupConfig, bucket_edges, resolve_clusters
from transforms.records import DedupVerdict


def exact_step(
    element: tuple[str, Iterable[DedupKey]], config: NearDedupConfig
) -> Iterator[Fingerprint | beam.pvalue.TaggedOutput]:
    """Step 1 for one content hash: fingerprints on the main output, exact verdicts tagged."""
    _, copies = element
    for outcome in decide_exact(copies, config):
        if isinstance(outcome, Fingerprint):
            yield outcome
        else:
            yield beam.pvalue.TaggedOutput("verdicts", outcome)


def band_members(fingerprint: Fingerprint) -> Iterator[tuple[int, Fingerprint]]:
    """A fingerprint in each of its LSH buckets."""
    for band in fingerprint.bands:
        yield band, fingerprint


def bucket_step(element: tuple[int, Iterable[Fingerprint]], config: NearDedupConfig) -> Iterator[tuple]:
    """Step 2 for one LSH bucket: its verified edges, keyed by pair (for one-per-pair)."""
    _, members = element
    members = list(members)
    if len(members) < 2 or all(m.from_index for m in members):
        return
    for edge in bucket_edges(members, config):
        yield (edge.later, edge.earlier), edge


def first_edge(element: tuple[tuple[str, str], Iterable[Edge]]) -> Edge:
    """One edge per pair: the buckets that found it scored the same two shingle sets."""
    return next(iter(element[1]))


class ResolveDuplicates(beam.CombineFn):
    """Step 3: exact verdicts and verified edges in, the run's duplicates out (a dict, as `batch.py`)."""

    def create_accumulator(self) -> list[DedupVerdict | Edge]:
        return []

    def add_input(self, accumulator: list, element: DedupVerdict | Edge) -> list:
        accumulator.append(element)
        return accumulator

    def merge_accumulators(self, accumulators: Iterable[list]) -> list:
        return [item for accumulator in accumulators for item in accumulator]

    def extract_output(self, accumulator: list) -> dict[str, DedupVerdict]:
        exact = {v.segment_id: v for v in accumulator if isinstance(v, DedupVerdict)}
        edges = sorted((e for e in accumulator if isinstance(e, Edge)), key=lambda e: (e.later, e.earlier))
        return with_near(exact, resolve_clusters(edges))


class DeduplicateDocumentsKeyed(beam.PTransform):
    """SegmentedDocument -> the run's duplicate verdicts, one dict; drop-in for
    `batch.DeduplicateDocuments` (same arguments, same output)."""

    def __init__(self, config: NearDedupConfig, index: beam.PCollection | None = None) -> None:
        super().__init__()
        self._config = config
        self._index = index

    def expand(self, documents: beam.PCollection) -> beam.PCollection:
        keys = documents | "Keys" >> beam.FlatMap(dedup_keys)
        if self._index is not None:
            indexed = self._index | "IndexKeys" >> beam.FlatMap(index_keys_of)
            keys = (keys, indexed) | "WithIndex" >> beam.Flatten()
        exact = (
            keys
            | "ByHash" >> beam.Map(lambda key: (key.content_hash, key))
            | "GroupByHash" >> beam.GroupByKey()
            | "Exact" >> beam.FlatMap(exact_step, self._config).with_outputs("verdicts", main="prints")
        )
        edges = (
            exact.prints
            | "ByBand" >> beam.FlatMap(band_members)
            | "GroupByBand" >> beam.GroupByKey()
            | "Buckets" >> beam.FlatMap(bucket_step, self._config)
            | "GroupByPair" >> beam.GroupByKey()
            | "OnePerPair" >> beam.Map(first_edge)
        )
        return (
            (exact.verdicts, edges)
            | "Verdicts" >> beam.Flatten()
            | "Resolve" >> beam.CombineGlobally(ResolveDuplicates()).without_defaults()
        )
