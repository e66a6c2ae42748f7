"""The per-run delta of entity name statistics, and its rows in `_state/entity_names`.

Why deltas rather than merged totals in the state: summing every row of every run reconstructs the
history whatever the run order or run ids (counts add, dates take min/max), a run never has to read
and rewrite a key it did not touch, and a run that never gets finalized leaves no half-merged total.
The cost is one row per (key, run) instead of one live row per key, which the global combine absorbs.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import apache_beam as beam

from transforms.entities.per_document import DocumentEntities
from transforms.entities.records import FormStats, NameStats, summarize

STATE_TABLE = "state_entity_names"
IDS_TABLE = "state_entity_ids"


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
