"""Within-document resolution: each document's mentions, on their own, before any clustering.

Strips titles, drops spurious mentions (`spurious_reason`: sentences, digits, calendar words, common
words), maps a short form to the document's full name ("Haftar" -> "Khalifa Haftar") and an acronym
to the expansion the text defines ("ANL"), tells a town from its region by the article French puts
before it (`place_sense`), and records the document's dominant country for place disambiguation.
Runs where the document is (`transform.resolve_document`), since it needs the whole body.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from rapidfuzz.distance import OSA
from spacy.lang.fr.stop_words import STOP_WORDS

from transforms.entities.gazetteer import (
    lookup_candidates,
    unambiguous_country,
)
from transforms.entities.names import (
    SKELETON_DROP,
    fold,
    initials_compatible,
    is_acronym,
    match_tokens,
    name_key,
    osa_allowance,
    strip_title,
    title_before,
)
from transforms.entities.records import TITLE_WEIGHT, Mention, ResolvedMention
from transforms.entities.types import is_common_noun

LABELS: tuple[str, ...] = ("PER", "LOC", "ORG", "MISC")  # order = tie-break priority

MAX_WORDS = 8  # content words: longer "entities" are mis-tagged sentences ("I am flying from Tripoli to")

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
INITIAL_ALTERNATIONS = frozenset({("h", "k"), ("k", "h")})


def _surname_matches(short: str, surname: str) -> bool:
    """Whether a one-word name is the surname of a long form, allowing length-scaled typos.

    The first letters must agree (or alternate as transliterations do, h/kh): an edit at the first
    letter otherwise makes another name ("Qaïda" is not "Sayda").
    """
    if short == surname:
        return True
    if short[:1] != surname[:1] and (short[:1], surname[:1]) not in INITIAL_ALTERNATIONS:
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
