"""Cross-document entity clustering: the resolved names of every document, one cluster per entity.

Steps (plain functions, so a Beam job can distribute them; `stages.py` does):

1. ``resolve.resolve_within_document(mentions, doc_text)`` per document (see `resolve.py`).
2. ``records.summarize(resolved) -> NameStats`` per worker; ``records.merge(a, b)`` combines them.
   The summary holds one entry per distinct resolved name key, not one per mention.
3. ``build_clusters(stats) -> ClusterIndex`` once (here): blocked fuzzy matching of keys, acronym
   links, surname attachment, label voting, canonical choice, gazetteer geo. Deterministic.
4. ``assign(resolved_mention, index)`` per mention (here), with the index as a side input.

``cluster_names`` runs 2-4 in memory for tests and small batches.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator

from rapidfuzz.distance import OSA

from transforms.entities.gazetteer import (
    NOT_A_PLACE_ALONE,
    Place,
    is_short_name,
    lookup_candidates,
    lookup_place,
    short_name_place,
)
from transforms.entities.names import (
    SKELETON_DROP,
    consonants,
    is_acronym,
    match_tokens,
    name_key,
    osa_allowance,
    well_formed,
    without_diacritics,
)
from transforms.entities.records import (
    Assignment,
    Cluster,
    ClusterAssignment,
    ClusterIndex,
    FormStats,
    Geo,
    NameStats,
    ResolvedMention,
    bump,
    summarize,
)
from transforms.entities.resolve import INITIAL_ALTERNATIONS, SENSE_MARK, key_sense
from transforms.entities.types import corrected_label

LABELS: tuple[str, ...] = ("PER", "LOC", "ORG", "MISC")  # order = tie-break priority

MAX_BLOCK = 64  # blocks larger than this are compared within a sliding window only (linear cost)
WINDOW = 16
SURNAME_DOMINANCE = 0.8  # a bare surname joins a full-name cluster holding this share of candidates
ROLE_SCORE = 0.3
CONTEXT_FREE_POPULATION = 100_000  # a place outside the documents' country must be at least this big
WEAK_FACTOR = 0.5


# ------------------------------------------------------------------------------------- union-find
class _UnionFind:
    """Union-find over string keys; the smallest key is the root, which keeps results deterministic."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.parent = {k: k for k in keys}

    def find(self, key: str) -> str:
        parent = self.parent.setdefault(key, key)
        while parent != self.parent[parent]:
            self.parent[parent] = self.parent[self.parent[parent]]
            parent = self.parent[parent]
        self.parent[key] = parent
        return parent

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key in sorted(self.parent):
            out.setdefault(self.find(key), []).append(key)
        return out


# ------------------------------------------------------------------------------ fuzzy name matching
def _deletes(token: str) -> set[str]:
    """Token and its one-deletion variants: two tokens one edit apart share one (SymSpell blocking)."""
    if len(token) <= 4:
        return {token}
    return {token} | {token[:i] + token[i + 1 :] for i in range(len(token))}


def _block_keys(skeleton: tuple[str, ...]) -> Iterator[tuple]:
    """Blocking keys: a pair is compared only if it shares one, so cost grows with names, not pairs."""
    n = len(skeleton)
    if n == 1:
        token = skeleton[0]
        for variant in _deletes(token):
            yield ("1", variant)
        if len(token) >= 5:
            yield ("1c", consonants(token), token[0])
        return
    first, last = skeleton[0], skeleton[-1]
    for variant in _deletes(last):
        yield ("s", n, variant, first[0])
    for variant in _deletes(first):
        yield ("f", n, variant, last)
    if len(last) >= 5:
        yield ("c", n, consonants(last), first)


def _token_distance(a: str, b: str, allowed: int) -> int:
    return 0 if a == b else OSA.distance(a, b, score_cutoff=allowed)


def _surname_close(a: str, b: str) -> int | None:
    """Edits between two surnames if within tolerance; vowel-only differences count as one edit."""
    allowed = osa_allowance(min(len(a), len(b)))
    dist = _token_distance(a, b, allowed)
    if dist <= allowed:
        return dist
    if min(len(a), len(b)) >= 5 and a[0] == b[0] and consonants(a) == consonants(b):
        return 1
    return None


def names_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two matching skeletons of person names spell the same name.

    Precision first (measured on real news, tests/quality/): the names have the same number of words,
    at least two, and differ in exactly one word; the others are shared. A differing surname tolerates
    transliteration edits ("Fayez al-Sarraj" / "Fayez al-Serraj"), a differing first name is strict
    ("Kahlifa" / "Khalifa" pass, "Jean Martin" / "Paul Martin" do not). One-word names never match
    here: they join a cluster only by equality, an acronym definition or a surname (see the module).
    """
    if len(a) != len(b) or len(a) < 2 or a == b:
        return a == b and len(a) >= 2
    differing = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(differing) != 1:
        return False
    i = differing[0]
    x, y = a[i], b[i]
    if x[:1] != y[:1] and (x[:1], y[:1]) not in INITIAL_ALTERNATIONS:
        return False
    if i == len(a) - 1:
        return _surname_close(x, y) is not None
    allowed = osa_allowance(max(len(x), len(y)), first_name=True)
    return _token_distance(x, y, allowed) <= allowed


def _raw_tokens(key: str) -> tuple[str, ...]:
    """Key tokens without particles but without transliteration folding ("djaballah" stays)."""
    kept = tuple(t for t in key.split() if t not in SKELETON_DROP)
    return kept or tuple(key.split())


def _keys_match(a: str, b: str, skeletons: dict[str, tuple[str, ...]]) -> bool:
    """Skeletons match, or raw tokens do (a typo on top of a transliteration: Djaballah/Doaballah)."""
    return names_match(skeletons[a], skeletons[b]) or names_match(_raw_tokens(a), _raw_tokens(b))


def _fuzzy_links(
    keys: list[str], skeletons: dict[str, tuple[str, ...]], uf: _UnionFind, persons: frozenset[str]
) -> None:
    """Union keys of two words or more whose skeletons match, comparing only within blocks; one of
    the two must be a person key (`persons`): the other may be a person spaCy mistyped ("Fayez
    al-Serraj" tagged LOC), never a known place (the caller leaves places out of `keys`)."""
    blocks: dict[tuple, list[str]] = {}
    for key in keys:
        if len(skeletons[key]) < 2:
            continue
        raw = _raw_tokens(key)
        block_keys = set(_block_keys(skeletons[key]))
        if raw != skeletons[key]:
            block_keys.update(_block_keys(raw))  # shared space: skeleton vs raw typo pairs meet
        for block in block_keys:
            blocks.setdefault(block, []).append(key)
    # Iteration order cannot change the result: components of the match graph do not depend on it.
    for members in blocks.values():
        if len(members) < 2:
            continue
        members = sorted(set(members))
        width = len(members) if len(members) <= MAX_BLOCK else WINDOW
        for i, a in enumerate(members):
            for b in members[i + 1 : i + 1 + width]:
                if uf.find(a) == uf.find(b) or (a not in persons and b not in persons):
                    continue
                if _keys_match(a, b, skeletons):
                    uf.union(a, b)


def _initials_of(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """Whether `short` abbreviates first names of `full` to initials: ("b", "obama") / ("barack",
    "obama"), ("j", "m", "ayrault") / ("jean", "marc", "ayrault"). Other words must be equal."""
    if len(short) != len(full) or short == full:
        return False
    initials = False
    for x, y in zip(short, full, strict=True):
        if len(x) == 1 and len(y) > 1 and y.startswith(x):
            initials = True
        elif x != y:
            return False
    return initials


def _initial_links(keys: list[str], uf: _UnionFind) -> None:
    """Join "B. Obama" to "Barack Obama" when exactly one person cluster's name fits the initials.

    Ambiguous initials ("J. Martin" beside "Jean Martin" and "Jacques Martin") stay apart.
    """
    tokens = {key: tuple(key.split()) for key in keys}
    by_last: dict[str, list[str]] = {}
    for key in keys:
        by_last.setdefault(tokens[key][-1], []).append(key)
    for key in keys:
        words = tokens[key]
        if len(words) < 2 or not any(len(w) == 1 for w in words[:-1]):
            continue
        fits = {uf.find(other) for other in by_last[words[-1]] if _initials_of(words, tokens[other])}
        if len(fits) == 1:
            uf.union(key, fits.pop())


def _sense_links(stats: NameStats, uf: _UnionFind) -> None:
    """Join a place name read in no sense (the document also called it a person, or spaCy did not
    say LOC) to the sense most of its mentions were read in: "Benghazi" to "benghazi#city"."""
    senses: dict[str, dict[str, int]] = {}
    for key, form in stats.forms.items():
        if SENSE_MARK in key:
            base, sense = key.rsplit(SENSE_MARK, 1)
            senses.setdefault(base, {})[sense] = form.mentions
    for base in sorted(senses):
        if base in stats.forms:
            found = senses[base]
            sense = min(found, key=lambda s: (-found[s], s))
            uf.union(base, f"{base}{SENSE_MARK}{sense}")


def _acronym_links(stats: NameStats, skeletons: dict[str, tuple[str, ...]], uf: _UnionFind) -> None:
    """Join each acronym to its dominant expansion, and other expansions compatible with it."""
    for acr in sorted(stats.acronyms):
        expansions = stats.acronyms[acr]
        dominant = min(expansions, key=lambda k: (-expansions[k], k))
        uf.union(acr, dominant)
        dom_tokens = set(skeletons.get(dominant, match_tokens(dominant)))
        for other in sorted(expansions):
            other_tokens = set(skeletons.get(other, match_tokens(other)))
            if dom_tokens <= other_tokens or other_tokens <= dom_tokens:
                uf.union(dominant, other)


def _is_person_key(form: FormStats) -> bool:
    """A name key the mentions call a person: PER (spaCy or a title) has the most votes."""
    if form.role or form.acronym or not form.labels:
        return False
    per = form.labels.get("PER", 0.0)
    return per > 0 and per >= max(form.labels.values())


# ---------------------------------------------------------------------------------------- clusters
def _votes(stats: NameStats, keys: list[str]) -> dict[str, float]:
    votes: dict[str, float] = {}
    for key in keys:
        for label, weight in stats.forms[key].labels.items():
            bump(votes, label, weight)
    return votes


def _looks_like_place(stats: NameStats, keys: list[str], votes: dict[str, float]) -> bool:
    """One-word cluster that is a known place and not mainly called a person."""
    return any(lookup_candidates(k) for k in keys) and votes.get("PER", 0) < votes.get("LOC", 0)


def _attach_surnames(stats: NameStats, skeletons: dict[str, tuple[str, ...]], uf: _UnionFind) -> None:
    """Join bare-surname clusters ("Al-Sarraj" alone in a document) to the full-name cluster they name.

    Only when one person-like cluster with that surname dominates; "Martin" next to both "Jean Martin"
    and "Paul Martin" stays its own cluster.
    """
    groups = uf.groups()
    by_surname: dict[str, dict[str, int]] = {}
    for root, keys in groups.items():
        multi = [k for k in keys if len(skeletons[k]) >= 2 and not stats.forms[k].role]
        if not multi:
            continue
        votes = _votes(stats, keys)
        if votes.get("PER", 0) < max(votes.get("LOC", 0), votes.get("ORG", 0)):
            continue
        weight = sum(stats.forms[k].mentions for k in keys)
        for surname in sorted({skeletons[k][-1] for k in multi}):
            by_surname.setdefault(surname, {})[root] = weight
    for root, keys in groups.items():
        if any(len(skeletons[k]) != 1 or stats.forms[k].role or stats.forms[k].acronym for k in keys):
            continue
        votes = _votes(stats, keys)
        if _looks_like_place(stats, keys, votes):
            continue
        candidates: dict[str, int] = {}
        for surname in sorted({skeletons[k][0] for k in keys}):
            for target, weight in by_surname.get(surname, {}).items():
                candidates[target] = max(candidates.get(target, 0), weight)
        if not candidates:
            continue
        best = min(candidates, key=lambda r: (-candidates[r], r))
        if candidates[best] >= SURNAME_DOMINANCE * sum(candidates.values()):
            uf.union(root, best)


def _canonical(stats: NameStats, keys: list[str]) -> str:
    """Most complete, most frequent, well-spelled full form of a cluster.

    Full forms are grouped by name key (so "al-Sarraj"/"el-Sarraj" pool their counts); the best key
    wins on (well spelled, not an acronym, has first+last name, frequency), then its most frequent
    spelling, where spellings that differ only in accents pool their counts and the accented one
    is written: news copy drops accents on capitals ("Egypte", "Etats-Unis", "Elysée") far more
    often than the name lacks them. Ties fall to the alphabetically smallest spelling.
    """
    spellings: dict[str, dict[str, int]] = {}
    for key in keys:
        for surface, count in stats.forms[key].full_forms.items():
            bump(spellings.setdefault(name_key(surface) or surface, {}), surface, count)

    def rank(form_key: str) -> tuple:
        forms = spellings[form_key]
        best = min(forms, key=lambda s: (-forms[s], s))
        return (
            not well_formed(best),
            is_acronym(best),
            any(len(word) == 1 for word in form_key.split()),  # "B. Obama" when "Barack Obama" exists
            -min(len(match_tokens(form_key)), 2),
            -sum(forms.values()),
            best,
        )

    best_key = min(spellings, key=rank)
    forms = spellings[best_key]
    pooled: dict[str, int] = {}
    for surface, count in forms.items():
        bump(pooled, without_diacritics(surface)[0], count)

    def spelling_rank(surface: str) -> tuple:
        bare, accents = without_diacritics(surface)
        return (not well_formed(surface), -pooled[bare], -accents, -forms[surface], surface)

    return min(forms, key=spelling_rank)


def _gazetteer_votes(place: Place | None, mentions: int) -> float:
    """LOC evidence of a gazetteer hit; big places are stronger evidence than small towns."""
    if place is None:
        return 0.0
    big = place.kind != "city" or place.population >= 100_000  # regions and countries count as big
    return 0.5 * mentions + 1.0 if big else 0.25 * mentions + 0.5


def _to_geo(place: Place) -> Geo:
    return Geo(place.country_code, place.latitude, place.longitude, place.geonameid, place.name)


def _geo(stats: NameStats, keys: list[str], canonical: str, sense: str | None = None) -> Geo | None:
    """Place of a LOC cluster: candidate in the mentions' dominant document country, else the best
    ranked (`gazetteer._rank`); a cluster read in one sense ("à Québec") only takes places of it.
    Short names and acronyms are placed only without doubt (`gazetteer.short_name_place`), and a
    direction ("le Sud") never."""
    countries: Counter = Counter()
    for key in keys:
        countries.update(stats.forms[key].countries)
    others = sorted({s for k in keys for s in stats.forms[k].full_forms} - {canonical})
    names = [canonical, *others]
    for name in names:
        if name_key(name) in NOT_A_PLACE_ALONE:
            continue
        if is_short_name(name):
            place = short_name_place(name)
            if place is not None:
                return _to_geo(place)
            continue
        candidates = lookup_candidates(name)
        if sense and not (candidates and candidates[0].kind in ("country", "continent")):
            # "à Mali" is still the country; the sense only tells a town from its region (Québec)
            candidates = tuple(p for p in candidates if (p.kind == "city") == (sense == "city"))
        if not candidates:
            continue
        in_context = [c for c in sorted(countries, key=lambda c: (-countries[c], c)) if c]
        for country in in_context:
            chosen = next((p for p in candidates if p.country_code == country), None)
            if chosen:
                return _to_geo(chosen)
        top = candidates[0]
        if in_context and top.kind == "city" and top.population < CONTEXT_FREE_POPULATION:
            return None  # a small namesake abroad ("Le Sud-Ouest", Montréal) is more likely wrong
        return _to_geo(top)
    return None


def entity_id_for(canonical: str, label: str, sense: str | None = None) -> str:
    """Stable id: same canonical name and label (and place sense) give the same id in every run and on
    every worker. The sense tells the town from the region of one name (Québec)."""
    key = name_key(canonical) + (f"{SENSE_MARK}{sense}" if sense else "")
    return hashlib.blake2b(f"{label}\x1f{key}".encode(), digest_size=8).hexdigest()


def _make_cluster(stats: NameStats, keys: list[str]) -> Cluster:
    canonical = _canonical(stats, keys)
    senses = {key_sense(k) for k in keys}
    sense = senses.pop() if len(senses) == 1 else None
    mentions = sum(stats.forms[k].mentions for k in keys)
    votes = _votes(stats, keys)
    if any(stats.forms[k].role for k in keys):
        votes = {"MISC": float(mentions)}  # roles are offices, not names: see module docs
    else:
        place = None if is_acronym(canonical) else lookup_place(canonical)
        bump(votes, "LOC", _gazetteer_votes(place, mentions))
        winner = min(votes, key=lambda lab: (-votes[lab], LABELS.index(lab) if lab in LABELS else 99, lab))
        corrected = corrected_label(winner, canonical, place is not None)
        if corrected != winner:  # a type rule outvotes spaCy: it takes more votes than all others
            bump(votes, corrected, sum(votes.values()) + 1.0)
    label = min(votes, key=lambda lab: (-votes[lab], LABELS.index(lab) if lab in LABELS else 99, lab))
    aliases = sorted({s for k in keys for s in (*stats.forms[k].surfaces, *stats.forms[k].full_forms)})
    return Cluster(
        entity_id=entity_id_for(canonical, label, sense),
        canonical=canonical,
        label=label,
        aliases=tuple(aliases),
        mention_count=mentions,
        label_confidence=round(votes[label] / sum(votes.values()), 3),
        geo=_geo(stats, keys, canonical, sense) if label == "LOC" else None,
    )


def build_clusters(stats: NameStats) -> ClusterIndex:
    """Cluster all distinct resolved names of ``stats``: blocked fuzzy links, acronyms, surnames."""
    stats = NameStats(dict(stats.forms), stats.acronyms)  # shallow copy: acronym nodes are added below
    keys = sorted(stats.forms)
    skeletons = {k: match_tokens(k) for k in keys}
    uf = _UnionFind(keys)
    persons = frozenset(k for k in keys if _is_person_key(stats.forms[k]))
    maybe_persons = [
        k
        for k in keys
        if k in persons
        or not (stats.forms[k].role or stats.forms[k].acronym or SENSE_MARK in k or lookup_candidates(k))
    ]
    _fuzzy_links(maybe_persons, skeletons, uf, persons)
    _initial_links(sorted(persons), uf)
    _acronym_links(stats, skeletons, uf)
    _sense_links(stats, uf)
    for key in uf.parent:
        skeletons.setdefault(key, match_tokens(key))
        stats.forms.setdefault(key, FormStats())
    _attach_surnames(stats, skeletons, uf)
    key_to_entity: dict[str, str] = {}
    clusters: dict[str, Cluster] = {}
    for members in uf.groups().values():
        live = [k for k in members if stats.forms[k].mentions > 0]
        if not live:
            continue
        cluster = _make_cluster(stats, live)
        clusters[cluster.entity_id] = cluster
        for key in members:
            key_to_entity[key] = cluster.entity_id
    return ClusterIndex(key_to_entity=key_to_entity, clusters=clusters)


# --------------------------------------------------------------------------------------- assignment
def assign(rm: ResolvedMention, index: ClusterIndex) -> Assignment | None:
    """Cluster of one resolved mention; None for dropped (spurious) mentions.

    Score = the cluster's label confidence, lowered for roles and doubtful (weak) mentions. A key the
    index has never seen (index built on another batch) gets a singleton entity with half score.
    """
    if rm.kind == "dropped" or not rm.key:
        return None
    entity_id = index.key_to_entity.get(rm.key)
    if entity_id is None:
        label = "MISC" if rm.kind == "role" else rm.mention.label
        return Assignment(
            rm.mention.mention_id, entity_id_for(rm.resolved_text, label), rm.resolved_text, label, 0.5
        )
    cluster = index.clusters[entity_id]
    score = cluster.label_confidence
    if rm.kind == "role":
        score = min(score, ROLE_SCORE)
    if rm.weak:
        score *= WEAK_FACTOR
    return Assignment(rm.mention.mention_id, entity_id, cluster.canonical, cluster.label, round(score, 3))


def cluster_names(resolved: Iterable[ResolvedMention]) -> ClusterAssignment:
    """Summarize, build and assign in memory (the single-process version of the Beam flow)."""
    items = list(resolved)
    index = build_clusters(summarize(items))
    assignments: dict[str, Assignment] = {}
    dropped: dict[str, str] = {}
    for rm in items:
        result = assign(rm, index)
        if result is None:
            dropped[rm.mention.mention_id] = rm.drop_reason or "dropped"
        else:
            assignments[rm.mention.mention_id] = result
    clusters = sorted(index.clusters.values(), key=lambda c: (-c.mention_count, c.entity_id))
    return ClusterAssignment(assignments=assignments, clusters=clusters, dropped=dropped, index=index)
