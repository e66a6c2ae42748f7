"""Batch dedup that never takes a segment out of its document: one global decision, one side input.

`Deduplicate` (transform.py) works on a PCollection of segments: every sentence crosses a shuffle by
content hash and comes back to its document through a join. On Beam's local runner each of those
~20 elements per document is encoded and decoded at every stage boundary, which the stage log put at
a fifth of a 10k-document run. Here a document keeps its segments from reading to writing:

1. `segment_document_for_dedup` (per document, in parallel): segments, and the near-dedup fingerprint
   of each dedup-eligible segment (the first of its text within the document);
2. `dedup_keys`: what the decision needs of a segment (id, hash, order, fingerprint), no text;
3. `DecideDuplicates` (a global combine, like near dedup's collect step before it): `decide` runs
   exact dedup (per content hash, an indexed copy wins, else the earliest) and near dedup
   (`near_edges` over exact-canonical fingerprints and the index) in one process, and returns the
   verdicts of the duplicates only (most segments are canonical);
4. the verdicts reach every document as a singleton side input (`verdicts_for`).

Same policy and same verdicts as `Deduplicate` (tests/test_dedup_documents.py compares them), which
streaming still uses: there windows and Beam state decide, see stream.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
from apache_beam.metrics import Metrics

from transforms.dedup.exact import exact_verdicts
from transforms.dedup.index import within_horizon
from transforms.dedup.near import Fingerprint, NearDedupConfig, fingerprints, near_edges, resolve_clusters
from transforms.records import INDEX_ORDER, DedupVerdict, Document, Segment, cheap_pickle
from transforms.segment import SegmentConfig, segment_document


@cheap_pickle
@dataclass(frozen=True, slots=True)
class DedupKey:
    """What the global decision needs of one segment (this run's or the index's): no text."""

    segment_id: str
    content_hash: str
    order_key: tuple
    shingles: tuple[int, ...] = ()
    bands: tuple[int, ...] = ()
    supersedes: str | None = None
    from_index: bool = False


#: One document after segmentation: the document and its segments in reading order.
SegmentedDocument = tuple[Document, tuple[Segment, ...]]


def segment_document_for_dedup(
    doc: Document, segment: SegmentConfig, near: NearDedupConfig
) -> SegmentedDocument:
    """The document's segments, each eligible one with its fingerprint.

    A text repeated inside the document is fingerprinted once: its later copies are exact copies of
    the first whatever happens elsewhere, so their fingerprint would never be used.
    """
    segments = segment_document(doc, segment)
    first: list[int] = []
    seen: set[str] = set()
    for index, item in enumerate(segments):
        if item.dedup_eligible and item.content_hash not in seen:
            seen.add(item.content_hash)
            first.append(index)
    found = fingerprints(
        [(segments[i].segment_id, segments[i].order_key, segments[i].text) for i in first], near
    )
    for index, print_ in zip(first, found, strict=True):
        if print_ is not None:
            segments[index] = dataclasses.replace(
                segments[index], shingles=print_.shingles, bands=print_.bands
            )
    return doc, tuple(segments)


def dedup_keys(element: SegmentedDocument) -> tuple[DedupKey, ...]:
    """The keys of a document's eligible segments (one element per document for the combine)."""
    return tuple(
        DedupKey(s.segment_id, s.content_hash, s.order_key, s.shingles, s.bands, s.supersedes)
        for s in element[1]
        if s.dedup_eligible
    )


#: The columns of `_state/segments` that the decision reads.
INDEX_KEY_COLUMNS = ("segment_id", "content_hash", "shingles", "bands")


def index_key_batch(batch: pa.Table, cutoff: dt.date | None) -> Iterator[pa.Table]:
    """One record batch of `_state/segments`: its rows within the horizon, key columns only.

    Why Arrow rather than DedupKeys: the index has a row per canonical segment ever ingested, and it
    crosses two stage boundaries on its way to the decision; as columns it pickles as a few buffers,
    where one object per row cost more than the decision's own work on it (`index_keys_of` makes
    the DedupKeys there, in one pass over the columns).
    """
    if isinstance(batch, pa.RecordBatch):
        batch = pa.Table.from_batches([batch])
    keys = batch.select(list(INDEX_KEY_COLUMNS))
    if cutoff is not None:
        run_ids = batch.column("run_id")
        kept = [r for r in pc.unique(run_ids).to_pylist() if within_horizon({"run_id": r}, cutoff)]
        keys = keys.filter(pc.is_in(run_ids, value_set=pa.array(kept, pa.string())))
    if keys.num_rows:
        yield keys


def index_keys_of(table: pa.Table) -> Iterator[DedupKey]:
    """The DedupKeys of index rows (`index_key_batch`), read column by column: always canonical,
    always earlier than this run (INDEX_ORDER)."""
    columns = [table.column(name).to_pylist() for name in INDEX_KEY_COLUMNS]
    for segment_id, content_hash, shingles, bands in zip(*columns, strict=True):
        yield DedupKey(
            segment_id, content_hash, INDEX_ORDER, tuple(shingles or ()), tuple(bands or ()), from_index=True
        )


def with_index_keys(elements: Iterable[DedupKey | pa.Table]) -> Iterator[DedupKey]:
    """DedupKeys, with the index tables among them expanded (`index_keys_of`)."""
    for element in elements:
        if isinstance(element, pa.Table):
            yield from index_keys_of(element)
        else:
            yield element


def decide(keys: Iterable[DedupKey], config: NearDedupConfig) -> dict[str, DedupVerdict]:
    """Verdicts of the duplicates among this run's segments (absent = canonical).

    Exact first: per content hash an indexed copy is the original (except the document's own previous
    revision), else the earliest copy. Then near dedup among exact-canonical fingerprints and the
    index's; a near-duplicate points at its cluster root, and so do exact copies of it.
    """
    current: dict[str, list[DedupKey]] = {}
    indexed: dict[str, list[str]] = {}
    prints: list[Fingerprint] = []
    for key in keys:
        if key.from_index:
            indexed.setdefault(key.content_hash, []).append(key.segment_id)
            if key.bands:
                prints.append(Fingerprint(key.segment_id, INDEX_ORDER, key.shingles, key.bands, True))
        else:
            current.setdefault(key.content_hash, []).append(key)
    duplicates: dict[str, DedupVerdict] = {}
    for content_hash in sorted(current):
        for key, verdict in exact_verdicts(current[content_hash], sorted(indexed.get(content_hash, ()))):
            if verdict.is_duplicate:
                duplicates[key.segment_id] = verdict
            elif key.bands:
                prints.append(
                    Fingerprint(
                        key.segment_id, key.order_key, key.shingles, key.bands, supersedes=key.supersedes
                    )
                )
    clusters = resolve_clusters(near_edges(prints, config))
    for fp in prints:  # canonical after exact dedup, near-duplicate of a cluster root
        if not fp.from_index and fp.segment_id in clusters:
            root, score = clusters[fp.segment_id]
            duplicates[fp.segment_id] = DedupVerdict(fp.segment_id, True, "near", root, score)
    for segment_id, verdict in list(duplicates.items()):  # exact copies of a near-duplicate
        if verdict.duplicate_kind == "exact" and verdict.duplicate_of in clusters:
            root, score = clusters[verdict.duplicate_of]
            duplicates[segment_id] = DedupVerdict(segment_id, True, "near", root, score)
    return duplicates


def verdicts_for(
    segments: Iterable[Segment], duplicates: Mapping[str, DedupVerdict]
) -> tuple[DedupVerdict, ...]:
    """One verdict per segment, in the segments' order."""
    return tuple(duplicates.get(s.segment_id) or DedupVerdict(s.segment_id, False) for s in segments)


class DecideDuplicates(beam.CombineFn):
    """Collects the DedupKeys of a run (a tuple per document) and the index's key tables
    (`index_key_batch`), and `decide`s.

    Why a combine: Beam lifts it, so each worker ships its part as one list; the decision itself
    needs every key of the run in one place (a hash or an LSH band can be shared by any two documents).
    """

    def __init__(self, config: NearDedupConfig) -> None:
        self._config = config

    def create_accumulator(self) -> list[DedupKey | pa.Table]:
        return []

    def add_input(
        self, accumulator: list[DedupKey | pa.Table], element: tuple[DedupKey, ...] | pa.Table
    ) -> list[DedupKey | pa.Table]:
        if isinstance(element, pa.Table):
            accumulator.append(element)  # index keys stay columns until the decision
        else:
            accumulator.extend(element)
        return accumulator

    def merge_accumulators(
        self, accumulators: Iterable[list[DedupKey | pa.Table]]
    ) -> list[DedupKey | pa.Table]:
        merged: list[DedupKey | pa.Table] = []
        for accumulator in accumulators:
            merged.extend(accumulator)
        return merged

    def extract_output(self, accumulator: list[DedupKey | pa.Table]) -> dict[str, DedupVerdict]:
        return decide(with_index_keys(accumulator), self._config)


_DUPLICATE_COUNTERS = {kind: Metrics.counter("newsbeam", f"duplicates_{kind}") for kind in ("exact", "near")}


def count_verdicts(verdicts: Iterable[DedupVerdict]) -> None:
    """The run's duplicate counters (same names as `Deduplicate`'s)."""
    for verdict in verdicts:
        if verdict.duplicate_kind in _DUPLICATE_COUNTERS:
            _DUPLICATE_COUNTERS[verdict.duplicate_kind].inc()


class DeduplicateDocuments(beam.PTransform):
    """SegmentedDocument -> the run's duplicate verdicts, one dict (a singleton PCollection).

    `index` = key tables of earlier runs' `_state/segments` (`index_key_batch`), or None.
    """

    def __init__(self, config: NearDedupConfig, index: beam.PCollection | None = None) -> None:
        super().__init__()
        self._config = config
        self._index = index

    def expand(self, documents: beam.PCollection) -> beam.PCollection:
        keys = documents | "Keys" >> beam.Map(dedup_keys)
        if self._index is not None:
            keys = (keys, self._index) | "WithIndex" >> beam.Flatten()
        return keys | "Decide" >> beam.CombineGlobally(DecideDuplicates(self._config)).without_defaults()
