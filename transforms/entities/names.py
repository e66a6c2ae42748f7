"""Normalization helpers for entity surface forms.

Two levels of normalization exist on purpose:

* ``name_key`` is the *identity* key of a written form: it folds what never distinguishes two names
  (case, accents, punctuation, al-/el- spelling, doubled letters, a leading article) but keeps every
  token, so it is safe to use for exact grouping and for deriving stable ids.
* ``match_tokens`` is a lossy *matching skeleton*: it also drops particles and applies common
  French/English transliteration equivalences of Arabic names (dj/j, ou/u, kh/k, y/i...). It is only
  used to decide whether two keys may be the same name, never for display or ids.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from functools import lru_cache

# Titles and roles that, right before a capitalized name, say "this is a person". Generic French and
# English honorifics and functions, most specific (multi-word) first so the longest one wins.
TITLES: tuple[str, ...] = (
    "secrétaire général adjoint",
    "secrétaire générale",
    "secrétaire général",
    "premier ministre",
    "première ministre",
    "vice-président",
    "vice-présidente",
    "chef d'état-major",
    "chef de l'état",
    "chef du gouvernement",
    "ministre des affaires étrangères",
    "porte-parole",
    "prime minister",
    "secretary general",
    "secretary-general",
    "président",
    "présidente",
    "president",
    "ministre",
    "minister",
    "maréchal",
    "marshal",
    "général",
    "générale",
    "general",
    "colonel",
    "commandant",
    "capitaine",
    "lieutenant",
    "sergent",
    "amiral",
    "émir",
    "cheikh",
    "sheikh",
    "roi",
    "reine",
    "prince",
    "princesse",
    "pape",
    "ayatollah",
    "imam",
    "monsieur",
    "madame",
    "mademoiselle",
    "docteur",
    "professeur",
    "maître",
    "sénateur",
    "sénatrice",
    "député",
    "députée",
    "maire",
    "ambassadeur",
    "ambassadrice",
    "gouverneur",
    "juge",
    "chef",
    "m.",
    "mme",
    "dr",
    "pr",
)

# Name particles that are spelled many ways ("al-", "El ", "el-") but never distinguish two names.
ARABIC_ARTICLES: frozenset[str] = frozenset({"al", "el", "ul", "il"})
# Particles dropped from the matching skeleton (lowercase function words inside names).
SKELETON_DROP: frozenset[str] = ARABIC_ARTICLES | frozenset(
    {"de", "du", "des", "d", "la", "le", "les", "l", "van", "von", "der", "den", "di", "da", "the", "of"}
)
# Transliteration equivalences applied, in order, to the matching skeleton.
_TRANSLIT: tuple[tuple[str, str], ...] = (
    ("dj", "j"),
    ("dh", "d"),
    ("kh", "k"),
    ("gh", "g"),
    ("th", "t"),
    ("ph", "f"),
    ("sch", "ch"),
    ("sh", "ch"),
    ("ou", "u"),
    ("q", "k"),
    ("y", "i"),
    ("w", "u"),
)
_LEADING_ARTICLE = re.compile(r"^(?:l'|d'|le\s+|la\s+|les\s+|the\s+)", re.IGNORECASE)
_APOSTROPHES = str.maketrans({"’": "'", "`": "'", "´": "'", "ʼ": "'", "‘": "'"})
_NON_WORD = re.compile(r"[^\w']+|_")
_DOUBLE = re.compile(r"(\w)\1+")
_TITLE_PATTERN = re.compile(
    r"^(?:(?:le|la|les|l')\s*)?(?P<title>"
    + "|".join(re.escape(t).replace(r"\ ", r"\s+").replace("'", "['’]") for t in TITLES)
    + r")(?=[\s,]|$)[\s,]*",
    re.IGNORECASE,
)
# Title right before a mention: "le maréchal ", "le maréchal libyen ", or an apposition such as
# "Le Secrétaire général de l'ONU, " / "le commandant de l'Armée nationale libyenne, ".
_TITLE_ALT = "|".join(re.escape(t).replace(r"\ ", r"\s+").replace("'", "['’]") for t in TITLES)
_TITLE_BEFORE = re.compile(
    r"(?:^|[^\w])(?P<title>" + _TITLE_ALT + r")"
    r"(?:\s+[a-zà-ÿ]{4,}|\s+(?:de|du|des|d['’])\s*[^.;:!?()]{1,60},)?\s*$",
    re.IGNORECASE,
)
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]{1,7}$")


def fold(text: str) -> str:
    """Accent-fold and casefold, so "António" and "antonio" compare equal."""
    text = text.translate(_APOSTROPHES)
    if text.isascii():
        return text.casefold()
    return _without_marks(unicodedata.normalize("NFKD", text)).casefold()


def _without_marks(decomposed: str) -> str:
    """A decomposed (NFD/NFKD) text without its combining marks (accents, cedillas)."""
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def without_diacritics(text: str) -> tuple[str, int]:
    """The text with its diacritics removed, and how many there were: "Égypte" -> ("Egypte", 1).

    Case is kept (unlike `fold`): it tells spellings that differ only in accents apart from others.
    """
    if text.isascii():
        return text, 0
    decomposed = unicodedata.normalize("NFD", text)
    bare = _without_marks(decomposed)
    return unicodedata.normalize("NFC", bare), len(decomposed) - len(bare)


def strip_article(text: str) -> str:
    """Drop one leading article (l', le, la, les): "l'ANL" and "ANL" are the same name."""
    return _LEADING_ARTICLE.sub("", text.strip().translate(_APOSTROPHES), count=1).strip()


def tokens(text: str) -> list[str]:
    """Folded word tokens with particles unified to "al" and apostrophes split ("d'Azizia")."""
    words = [w for w in _NON_WORD.split(fold(text).replace("'", " ")) if w]
    return ["al" if w in ARABIC_ARTICLES else w for w in words]


@functools.lru_cache(maxsize=65536)  # surface forms recur thousands of times in a run
def name_key(text: str) -> str:
    """Identity key of a written name: folded, article-free, particles unified, doubles collapsed.

    "Fayez al-Sarraj", "Fayez El Sarraj" and "Fayez el-Sarraj" share one key; "Fayez al-Serraj" does
    not (that is a spelling variant, decided by fuzzy matching, not by identity).
    """
    return " ".join(_DOUBLE.sub(r"\1", w) for w in tokens(strip_article(text)))


@lru_cache(maxsize=200_000)
def _skeleton_token(word: str) -> str:
    """One token reduced by transliteration equivalences, then doubled letters collapsed."""
    for src, dst in _TRANSLIT:
        word = word.replace(src, dst)
    return _DOUBLE.sub(r"\1", word)


@lru_cache(maxsize=200_000)
def match_tokens(key: str) -> tuple[str, ...]:
    """Matching skeleton of a name key: particles dropped, transliterations unified.

    Falls back to the key's tokens when everything would be dropped, so "Al" alone is not empty.
    Memoized: resolution within a document compares every one-word name with every long form.
    """
    words = key.split()
    kept = [_skeleton_token(w) for w in words if w not in SKELETON_DROP]
    return tuple(kept) if kept else tuple(_skeleton_token(w) for w in words)


def consonants(word: str) -> str:
    """Consonant skeleton: vowel choice is the least reliable part of a transliterated name."""
    return re.sub(r"[aeiou]", "", word)


def strip_title(text: str) -> tuple[str, str | None]:
    """Split a mention into (core name, title) so "le maréchal Khalifa Haftar" counts as the name.

    Returns an empty core when the mention is only a title or a role ("Secrétaire général de l'ONU"):
    the caller treats those as roles, not as names.
    """
    cleaned = text.strip().translate(_APOSTROPHES)
    title: str | None = None
    while True:
        match = _TITLE_PATTERN.match(cleaned)
        if not match:
            break
        title = title or " ".join(fold(match.group("title")).split())
        cleaned = cleaned[match.end() :].strip()
    if title is None:
        return strip_article(cleaned), None
    core = strip_article(cleaned)
    if not core or not core[0].isupper():
        return "", title  # a role: "secrétaire général de l'ONU", "le général"
    return core, title


def title_before(left_context: str) -> str | None:
    """Title that introduces the mention from its left context ("le maréchal ", "le président X, ")."""
    match = _TITLE_BEFORE.search(left_context.translate(_APOSTROPHES))
    return " ".join(fold(match.group("title")).split()) if match else None


def is_acronym(text: str) -> bool:
    """All-capital short token such as "ANL" or "GNA" (mixed-case "Onu" is caught by key equality)."""
    return bool(_ACRONYM.match(text.replace(".", "")))


def initials_compatible(acronym: str, expansion: str) -> bool:
    """Whether an expansion plausibly spells an acronym, so "Paris (AFP)" is not a definition.

    Requires the same first letter and at least half of the acronym's letters among the initials of the
    expansion's words; loose on purpose because French texts often keep English acronyms (GNA).
    """
    letters = fold(acronym.replace(".", ""))
    words = [w for w in tokens(expansion) if w not in SKELETON_DROP]
    if not letters or not words or words[0][0] != letters[0]:
        return False
    initials = {w[0] for w in words}
    return sum(ch in initials for ch in letters) * 2 >= len(letters)


def well_formed(surface: str) -> bool:
    """A display-worthy spelling: no digits, names capitalized ("El sarradj" is not).

    Short names need every word capitalized; longer ones only the first, as French writes
    institutions ("Gouvernement d'union nationale").
    """
    if any(ch.isdigit() for ch in surface):
        return False
    words = [w for w in re.split(r"[\s\-]+", surface.translate(_APOSTROPHES)) if w]
    content = [w for w in words if fold(w.split("'")[-1]) not in SKELETON_DROP]
    checked = content[:1] if len(content) >= 3 else content  # French ORGs: "Armée nationale libyenne"
    return bool(content) and all(w.split("'")[-1][:1].isupper() for w in checked)


def osa_allowance(length: int, *, first_name: bool = False) -> int:
    """Edits tolerated for a token of this length: typos scale with length, short names get none.

    First names are stricter (Jean/Joan, Marie/Maria are different people); surnames and single
    names tolerate more because transliteration varies them (Sarraj/Serraj, Haftar/Khaftar).
    """
    if first_name:
        return 0 if length <= 5 else (1 if length <= 9 else 2)
    return 0 if length <= 4 else (1 if length <= 8 else 2)
