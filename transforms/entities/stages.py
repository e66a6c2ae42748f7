"""Beam stages of entity resolution: resolved documents -> entities, clusters and name state.

The algorithm lives in ``resolve.py`` (within a document) and ``cluster.py`` (across documents) as
plain functions over the records of ``records.py``; this module only distributes it:

1. Each document is resolved on its own where it is enriched (``per_document.resolve_document``,
   called by ``transforms/enrich.py``).
2. Each document is summarized (``state.EntityStats``: the mergeable ``NameStats`` plus first/last
   publication date per name key). The summaries are combined per name key into this run's delta,
   which is also what ``_state/entity_names`` stores (``state.py``), and then globally, TOGETHER with
   the deltas of all earlier runs read back from that state, so clusters reflect the whole history.
3. ``AccumulateEntities`` (one key, Beam state) adds each delivery's total (a run, or a stream's
   window) to those of the deliveries before it in the same pipeline, merges the history, runs
   ``build_clusters``, renames clusters after the ids already published (``ids.py``) and is
   broadcast as a singleton side input (per window in streaming).
4. Every resolved mention of this run is assigned its cluster -> an ``entities`` row.
5. ``entity_clusters`` is a snapshot: one row per cluster with a mention in any run (or window),
   plus one per retired id; ``state_entity_ids`` registers the ids of new name keys.
6. ``state_entity_names`` gets one row per name key this run touched, holding this run's DELTA.

A cluster's id is its fresh id (canonical name and label) when first published, and stays so when
later data changes its canonical name (``ids.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec
from apache_beam.transforms.window import GlobalWindows

from transforms.dedup.state import ReadState
from transforms.entities.cluster import assign, build_clusters
from transforms.entities.ids import stable_ids
from transforms.entities.per_document import DocumentEntities
from transforms.entities.records import ClusterIndex
from transforms.entities.state import (
    IDS_TABLE,
    STATE_TABLE,
    EntityStats,
    MergeEntityStats,
    document_stats,
    split_by_key,
    state_row,
    stats_from_state,
)


@dataclass(frozen=True, slots=True)
class EntityIndex:
    """The broadcast side input: the cluster index (ids stable once published, `ids.py`), each
    entity's publication-date range, the name keys to register and the retired ids."""

    index: ClusterIndex
    first_seen: dict[str, dt.date]
    last_seen: dict[str, dt.date]
    registrations: dict[str, str] = field(default_factory=dict)
    retired: dict[str, str | None] = field(default_factory=dict)


def build_entity_index(total: EntityStats, published: Mapping[str, str] | None = None) -> EntityIndex:
    """Clusters of the whole history, named after the ids already published (`ids.stable_ids`), and
    each cluster's date range (min/max over its name keys)."""
    weights = {key: form.mentions for key, form in total.names.forms.items()}
    stable = stable_ids(build_clusters(total.names), published or {}, weights)
    index = stable.index
    first: dict[str, dt.date] = {}
    last: dict[str, dt.date] = {}
    for key in sorted(index.key_to_entity):
        entity = index.key_to_entity[key]
        if key in total.first_seen and (entity not in first or total.first_seen[key] < first[entity]):
            first[entity] = total.first_seen[key]
        if key in total.last_seen and (entity not in last or total.last_seen[key] > last[entity]):
            last[entity] = total.last_seen[key]
    return EntityIndex(index, first, last, stable.registrations, stable.retired)


def cluster_rows(entity_index: EntityIndex) -> Iterator[tuple[str, dict]]:
    """The ``entity_clusters`` snapshot: every cluster with at least one mention, by entity_id, and
    a row per retired id (``merged_into`` its survivor), so every id ever written has its row."""
    for entity_id in sorted(entity_index.index.clusters):
        cluster = entity_index.index.clusters[entity_id]
        geo = cluster.geo
        yield (
            "entity_clusters",
            {
                "entity_id": cluster.entity_id,
                "canonical": cluster.canonical,
                "label": cluster.label,
                "aliases": list(cluster.aliases),
                "mention_count": cluster.mention_count,
                "label_confidence": cluster.label_confidence,
                "first_seen": entity_index.first_seen.get(entity_id),
                "last_seen": entity_index.last_seen.get(entity_id),
                "country_code": geo.country_code if geo else None,
                "latitude": geo.latitude if geo else None,
                "longitude": geo.longitude if geo else None,
                "geonameid": geo.geonameid if geo else None,
                "merged_into": None,
            },
        )
    for entity_id, survivor in sorted(entity_index.retired.items()):
        heir = entity_index.index.clusters.get(survivor or "")
        yield (
            "entity_clusters",
            {
                "entity_id": entity_id,
                "canonical": heir.canonical if heir else "",
                "label": heir.label if heir else "MISC",
                "aliases": [],
                "mention_count": 0,
                "label_confidence": None,
                "first_seen": None,
                "last_seen": None,
                "country_code": None,
                "latitude": None,
                "longitude": None,
                "geonameid": None,
                "merged_into": survivor,
            },
        )


def entity_rows(doc: DocumentEntities, entity_index: EntityIndex) -> Iterator[tuple[str, dict]]:
    """``entities`` rows of one document; dropped (spurious) mentions are counted, not written."""
    written = Metrics.counter("newsbeam", "entities")
    dropped = Metrics.counter("newsbeam", "entities_dropped")
    for raw, rm in doc.mentions:
        result = assign(rm, entity_index.index)
        if result is None:
            dropped.inc()
            Metrics.counter("newsbeam", f"entities_dropped_{rm.drop_reason or 'other'}").inc()
            continue
        written.inc()
        yield (
            "entities",
            {
                "doc_id": doc.doc_id,
                "segment_id": raw.segment_id,
                "text": raw.text,
                "label": result.label,
                "start_char": raw.start_char,
                "end_char": raw.end_char,
                "canonical": result.canonical,
                "entity_id": result.entity_id,
                "model_label": raw.label,
                "score": result.score,
                "pub_month": doc.pub_month,
            },
        )


# ------------------------------------------------------------------------------------------ transform
def _values(rows: Iterable[tuple[str, dict]]) -> list[dict]:
    return [row for _, row in rows]


def _cluster_batch(entity_index: EntityIndex) -> tuple[str, list[dict]]:
    return "entity_clusters", _values(cluster_rows(entity_index))


def _state_batch(element: tuple[str, EntityStats], run_id: str) -> tuple[str, list[dict]]:
    table, row = state_row(element, run_id)
    return table, [row]


def _entity_batch(doc: DocumentEntities, entity_index: EntityIndex) -> Iterator[tuple[str, list[dict]]]:
    """The document's ``entities`` rows as one batch (none when every mention was dropped)."""
    rows = _values(entity_rows(doc, entity_index))
    if rows:
        yield "entities", rows


def _registration_batch(entity_index: EntityIndex, run_id: str) -> Iterator[tuple[str, list[dict]]]:
    rows = [
        {"key": k, "entity_id": e, "run_id": run_id} for k, e in sorted(entity_index.registrations.items())
    ]
    if rows:
        yield "state_entity_ids", rows


class AccumulateEntities(beam.DoFn):
    """One key: the statistics of every delivery so far (a run is one; a stream has one per window),
    merged with the history read at start, clustered, named after the published ids.

    Why state: a stream's windows must see each other (the clusters of window 5 cover windows 1-4),
    and the ids a window publishes bind the windows after it. A batch run is one element: the same
    code, state used once.
    """

    TOTAL = ReadModifyWriteStateSpec("total", PickleCoder())
    PUBLISHED = ReadModifyWriteStateSpec("published", PickleCoder())

    def process(
        self,
        element: tuple[int, tuple[EntityStats, EntityStats, dict[str, str]]],
        total=beam.DoFn.StateParam(TOTAL),
        published_here=beam.DoFn.StateParam(PUBLISHED),
    ) -> Iterator[EntityIndex]:
        _, (delivery, history, published) = element
        so_far = MergeEntityStats().merge_accumulators([total.read() or EntityStats(), delivery])
        total.write(so_far)
        earlier = published_here.read() or {}  # ids published by this pipeline's earlier deliveries
        entity_index = build_entity_index(
            MergeEntityStats().merge_accumulators([history, so_far]), {**published, **earlier}
        )
        published_here.write({**earlier, **entity_index.registrations})
        yield entity_index


def _with_history(
    delivery: EntityStats, history: EntityStats, published: dict[str, str]
) -> tuple[int, tuple[EntityStats, EntityStats, dict[str, str]]]:
    """One delivery's statistics with the history and the ids read at start, under the one key."""
    return 0, (delivery, history, published)


def _published_pair(row: dict) -> tuple[str, str]:
    return row["key"], row["entity_id"]


def _drop_key(element: tuple[str, EntityStats]) -> EntityStats:
    return element[1]


class ResolveEntities(beam.PTransform):
    """DocumentEntities (resolved within their document) -> (table, rows) batches for three tables.

    The tables are 'entities' (this run's resolved mentions), 'entity_clusters' (snapshot of the whole
    history) and 'state_entity_names' (this run's per-key delta, see the module docstring).

    ``output_dir`` is where earlier runs' ``_state/entity_names`` is read from (nothing on a first
    run); ``run_id`` stamps this run's state rows.
    """

    def __init__(self, output_dir: str, run_id: str, windowing: beam.WindowInto | None = None) -> None:
        super().__init__()
        self._output_dir = output_dir
        self._run_id = run_id
        self._windowing = windowing  # streaming: the windows the index goes back to

    def expand(self, resolved: beam.PCollection) -> beam.PCollection:
        pipeline = resolved.pipeline
        delta = (
            resolved
            | "DocumentStats" >> beam.Map(document_stats)
            | "SplitByKey" >> beam.FlatMap(split_by_key)
            | "CombinePerKey" >> beam.CombinePerKey(MergeEntityStats())
        )
        # History (earlier runs) is bounded and read once; it reaches the run's (or, streaming,
        # each window's) merge as a side input, so the same graph works in batch and streaming.
        history = (
            pipeline
            | "ReadNameState" >> ReadState(self._output_dir, STATE_TABLE)
            | "DecodeState" >> beam.Map(stats_from_state)
            | "CombineHistory" >> beam.CombineGlobally(MergeEntityStats())
        )
        published = (
            pipeline
            | "ReadPublishedIds" >> ReadState(self._output_dir, IDS_TABLE)
            | "PublishedPairs" >> beam.Map(_published_pair)
            | "PublishedDict" >> beam.combiners.ToDict()
        )
        index = (
            delta
            | "DeltaValues" >> beam.Map(_drop_key)
            | "CombineDelivery" >> beam.CombineGlobally(MergeEntityStats()).without_defaults()
            # Side inputs join here, not on the stateful step: Beam 2.x picks a stateful ParDo's
            # main input from a set that still holds its side inputs (core.py,
            # _get_key_and_window_coder), so with side inputs the key coder is a coin toss.
            | "WithHistory"
            >> beam.Map(
                _with_history, beam.pvalue.AsSingleton(history), beam.pvalue.AsSingleton(published)
            ).with_output_types(tuple[int, Any])
            | "ToGlobal" >> beam.WindowInto(GlobalWindows())
            | "BuildClusters" >> beam.ParDo(AccumulateEntities())
        )
        if self._windowing is not None:
            index = index | "BackToWindows" >> self._windowing
        rows = resolved | "Assign" >> beam.FlatMap(_entity_batch, beam.pvalue.AsSingleton(index))
        clusters = index | "ClusterRows" >> beam.Map(_cluster_batch)
        state = delta | "StateRows" >> beam.Map(_state_batch, self._run_id)
        ids = index | "IdRows" >> beam.FlatMap(_registration_batch, self._run_id)
        return (rows, clusters, state, ids) | "EntityTables" >> beam.Flatten()
