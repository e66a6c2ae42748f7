"""Beam adapter of entity resolution: raw spaCy mentions -> resolved entities, clusters and name state.

The algorithm lives in ``resolve.py`` (within a document) and ``cluster.py`` (across documents) as
plain functions over the records of ``records.py``; this module only distributes it:

1. Each document is resolved on its own where it is enriched (``resolve_document``, called by
   ``transforms/enrich.py``: ``resolve_within_document`` needs the whole body, for acronym
   definitions and nearest full names), so documents and mentions never meet in a join.
2. Each document is summarized (``EntityStats``: the mergeable ``NameStats`` plus first/last
   publication date per name key). The summaries are combined per name key into this run's delta,
   which is also what ``_state/entity_names`` stores, and then globally, TOGETHER with the deltas of
   all earlier runs read back from that state, so clusters reflect the whole history.
3. ``AccumulateEntities`` (one key, Beam state) adds each delivery's total (a run, or a stream's
   window) to those of the deliveries before it in the same pipeline, merges the history, runs
   ``build_clusters``, renames clusters after the ids already published (``ids.py``) and is
   broadcast as a singleton side input (per window in streaming).
4. Every resolved mention of this run is assigned its cluster -> an ``entities`` row.
5. ``entity_clusters`` is a snapshot: one row per cluster with a mention in any run (or window),
   plus one per retired id; ``state_entity_ids`` registers the ids of new name keys.
6. ``state_entity_names`` gets one row per name key this run touched, holding this run's DELTA.

Why deltas rather than merged totals in the state: summing every row of every run reconstructs the
history whatever the run order or run ids (counts add, dates take min/max), a run never has to read
and rewrite a key it did not touch, and a run that never gets finalized leaves no half-merged total.
The cost is one row per (key, run) instead of one live row per key, which the global combine absorbs.

A cluster's id is its fresh id (canonical name and label) when first published, and stays so when
later data changes its canonical name (``ids.py``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
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
from transforms.entities.names import TITLES
from transforms.entities.ner import RawMention
from transforms.entities.records import (
    ClusterIndex,
    FormStats,
    Mention,
    NameStats,
    ResolvedMention,
    summarize,
)
from transforms.entities.resolve import resolve_within_document

CONTEXT_CHARS = 40  # text kept on each side of a mention for title and acronym-definition detection
STATE_TABLE = "state_entity_names"
IDS_TABLE = "state_entity_ids"


# --------------------------------------------------------------------------------------------- records
@dataclass(frozen=True, slots=True)
class DocumentEntities:
    """One document's resolved mentions, with what their rows and the cluster dates need."""

    doc_id: str
    pub_date: dt.date | None
    pub_month: str | None
    mentions: tuple[tuple[RawMention, ResolvedMention], ...]  # body order


@dataclass(slots=True)
class EntityStats:
    """``NameStats`` plus the publication-date range of the documents behind each name key.

    ``NameStats`` has no dates (the in-memory clustering does not need them); the cluster snapshot
    does, and they must survive across runs, so they travel with the name statistics.
    """

    names: NameStats = field(default_factory=NameStats)
    first_seen: dict[str, dt.date] = field(default_factory=dict)
    last_seen: dict[str, dt.date] = field(default_factory=dict)

    def update(self, other: EntityStats) -> EntityStats:
        """Merge ``other`` into self in place (``other`` is not modified)."""
        self.names.update(other.names)
        for key, day in other.first_seen.items():
            if key not in self.first_seen or day < self.first_seen[key]:
                self.first_seen[key] = day
        for key, day in other.last_seen.items():
            if key not in self.last_seen or day > self.last_seen[key]:
                self.last_seen[key] = day
        return self

    def name_keys(self) -> list[str]:
        """Every name key with statistics: resolved forms and acronyms (which may have no form)."""
        return sorted(set(self.names.forms) | set(self.names.acronyms))


@dataclass(frozen=True, slots=True)
class EntityIndex:
    """The broadcast side input: the cluster index (ids stable once published, `ids.py`), each
    entity's publication-date range, the name keys to register and the retired ids."""

    index: ClusterIndex
    first_seen: dict[str, dt.date]
    last_seen: dict[str, dt.date]
    registrations: dict[str, str] = field(default_factory=dict)
    retired: dict[str, str | None] = field(default_factory=dict)


# ---------------------------------------------------------------------------- per-document resolution
_TITLE_WORDS = "|".join(re.escape(t).replace(r"\ ", r"\s+").replace("'", "['’]") for t in TITLES)
# A capitalized article followed by a lowercase title inside a span starts a new sentence: spaCy ran a
# photo credit into the next sentence ("© AP Photo / Mohammed El-Sheikhy Le maréchal Khalifa Haftar
# ordonne ..." -> one PER span). Institution names capitalize the title ("Fondation Le Roi Baudouin").
_RUN_ON_TITLE = re.compile(r"\s(?:Le|La|Les|L['’])\s*(?:" + _TITLE_WORDS + r")\s+(?=[A-ZÀ-Ý])")


def run_on_offset(text: str) -> int:
    """Where the name that follows a mid-span "Le <title>" starts in ``text``, else 0 (no run-on)."""
    matches = list(_RUN_ON_TITLE.finditer(text))
    return matches[-1].end() if matches else 0


def mentions_to_resolve(raw: Iterable[RawMention], body: str | None) -> list[tuple[RawMention, Mention]]:
    """(raw mention, Mention to resolve) of one document in body order, contexts cut from the body.

    The Mention is the name the raw span refers to: a run-on span is cut to the name after its inner
    title, so the title is seen in the left context (the entities row keeps the raw span). The
    mention id includes the end offset so two spans at the same start can never collide.
    """
    ordered = sorted(raw, key=lambda m: (m.start_char, m.end_char, m.segment_id, m.text, m.label))
    out: list[tuple[RawMention, Mention]] = []
    for m in ordered:
        cut = run_on_offset(m.text)
        if cut:
            Metrics.counter("newsbeam", "entities_run_on_cut").inc()
        start = m.start_char + cut
        left = body[max(0, start - CONTEXT_CHARS) : start] if body is not None else m.text[:cut]
        right = body[m.end_char : m.end_char + CONTEXT_CHARS] if body is not None else ""
        mention = Mention(
            doc_id=m.doc_id,
            mention_id=f"{m.segment_id}:{m.start_char}:{m.end_char}",
            text=m.text[cut:],
            label=m.label,
            start=start,
            end=m.end_char,
            left_context=left,
            right_context=right,
        )
        out.append((m, mention))
    return out


def split_run_ons(raw: list[RawMention]) -> list[RawMention]:
    """Split a span that is two names of the same document written side by side.

    spaCy runs an apposition into one span ("le fondateur de WikiLeaks Julian Assange" -> "WikiLeaks
    Julian Assange"). When the words before a space and the words after it are each, exactly, the text
    of another mention of the document ("WikiLeaks" and "Julian Assange"), the span is those two
    mentions, each with the label the document gives that text. Needs the evidence of both names
    elsewhere, so "Jean Martin" or "Banque de France" are never cut.
    """
    labels: dict[str, str] = {}
    for m in raw:
        labels.setdefault(m.text, m.label)
    out: list[RawMention] = []
    for m in raw:
        parts = m.text.split(" ")
        cut = next(
            (
                i
                for i in range(1, len(parts))
                if " ".join(parts[:i]) in labels and " ".join(parts[i:]) in labels
            ),
            None,
        )
        if cut is None:
            out.append(m)
            continue
        Metrics.counter("newsbeam", "entities_run_on_split").inc()
        first, second = " ".join(parts[:cut]), " ".join(parts[cut:])
        second_start = m.start_char + len(first) + 1
        out.append(
            dataclasses.replace(m, text=first, label=labels[first], end_char=m.start_char + len(first))
        )
        out.append(dataclasses.replace(m, text=second, label=labels[second], start_char=second_start))
    return out


def resolve_document(
    doc_id: str,
    raw: Iterable[RawMention],
    body: str,
    pub_date: dt.date | None,
    pub_month: str | None,
) -> DocumentEntities | None:
    """A document's raw mentions (of every model that read it) -> its resolved mentions (None if none).

    Runs where the document is (the enrichment step), since resolution needs the whole body: mention
    contexts, acronym definitions, the nearest full name of a surname.
    """
    raw = split_run_ons(list(raw))
    if not raw:
        return None
    pairs = mentions_to_resolve(raw, body)
    resolved = resolve_within_document([m for _, m in pairs], body)
    return DocumentEntities(
        doc_id=doc_id,
        pub_date=pub_date,
        pub_month=pub_month,
        mentions=tuple((r, rm) for (r, _), rm in zip(pairs, resolved, strict=True)),
    )


def document_stats(doc: DocumentEntities) -> EntityStats:
    """Summary of one document: its name statistics, each key dated by the document's pub_date."""
    names = summarize(rm for _, rm in doc.mentions)
    stats = EntityStats(names=names)
    if doc.pub_date is not None:
        for key in names.forms:
            stats.first_seen[key] = doc.pub_date
            stats.last_seen[key] = doc.pub_date
    return stats


def split_by_key(stats: EntityStats) -> Iterator[tuple[str, EntityStats]]:
    """One single-key EntityStats per name key, so the delta combines (and is stored) per key."""
    for key in stats.name_keys():
        part = EntityStats()
        if key in stats.names.forms:
            part.names.forms[key] = stats.names.forms[key]
        if key in stats.names.acronyms:
            part.names.acronyms[key] = stats.names.acronyms[key]
        if key in stats.first_seen:
            part.first_seen[key] = stats.first_seen[key]
        if key in stats.last_seen:
            part.last_seen[key] = stats.last_seen[key]
        yield key, part


class MergeEntityStats(beam.CombineFn):
    """Sum of EntityStats; commutative and associative, so any combiner tree gives the same total."""

    def create_accumulator(self) -> EntityStats:
        return EntityStats()

    def add_input(self, accumulator: EntityStats, element: EntityStats) -> EntityStats:
        return accumulator.update(element)

    def merge_accumulators(self, accumulators: Iterable[EntityStats]) -> EntityStats:
        merged = EntityStats()
        for accumulator in accumulators:
            merged.update(accumulator)
        return merged

    def extract_output(self, accumulator: EntityStats) -> EntityStats:
        return accumulator


# ----------------------------------------------------------------------------------------- state codec
def _form_to_json(form: FormStats) -> dict:
    return {
        "mentions": form.mentions,
        "labels": form.labels,
        "surfaces": form.surfaces,
        "full_forms": form.full_forms,
        "titles": form.titles,
        "countries": form.countries,
        "role": form.role,
        "acronym": form.acronym,
    }


def _form_from_json(data: dict) -> FormStats:
    return FormStats(
        mentions=int(data["mentions"]),
        labels={k: float(v) for k, v in data["labels"].items()},
        surfaces={k: int(v) for k, v in data["surfaces"].items()},
        full_forms={k: int(v) for k, v in data["full_forms"].items()},
        titles=int(data["titles"]),
        countries={k: int(v) for k, v in data["countries"].items()},
        role=bool(data["role"]),
        acronym=bool(data["acronym"]),
    )


def encode_key_stats(stats: EntityStats, key: str) -> str:
    """JSON of one key's statistics: {"form": FormStats fields, "expansions": {...}, dates}.

    "form" and "expansions" are present only when the key has them: an acronym that was always
    resolved to its expansion has expansions but no form, and giving it an empty form would let it
    take part in fuzzy matching, which a single in-memory run would not do.
    """
    data: dict = {}
    if key in stats.names.forms:
        data["form"] = _form_to_json(stats.names.forms[key])
    if key in stats.names.acronyms:
        data["expansions"] = stats.names.acronyms[key]
    if key in stats.first_seen:
        data["first_seen"] = stats.first_seen[key].isoformat()
    if key in stats.last_seen:
        data["last_seen"] = stats.last_seen[key].isoformat()
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def decode_key_stats(key: str, text: str) -> EntityStats:
    """Inverse of ``encode_key_stats``."""
    data = json.loads(text)
    stats = EntityStats()
    if "form" in data:
        stats.names.forms[key] = _form_from_json(data["form"])
    if "expansions" in data:
        stats.names.acronyms[key] = {k: int(v) for k, v in data["expansions"].items()}
    if data.get("first_seen"):
        stats.first_seen[key] = dt.date.fromisoformat(data["first_seen"])
    if data.get("last_seen"):
        stats.last_seen[key] = dt.date.fromisoformat(data["last_seen"])
    return stats


def state_row(element: tuple[str, EntityStats], run_id: str) -> tuple[str, dict]:
    """The ``state_entity_names`` row of one key's delta in this run."""
    key, stats = element
    return STATE_TABLE, {"key": key, "stats": encode_key_stats(stats, key), "run_id": run_id}


def stats_from_state(row: dict) -> EntityStats:
    """An earlier run's delta for one key, as read back from ``_state/entity_names``."""
    return decode_key_stats(row["key"], row["stats"])


# ----------------------------------------------------------------------------- clusters and assignment
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
