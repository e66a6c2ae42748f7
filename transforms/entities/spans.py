"""Entity span boundaries: the name spaCy found, without what French news glues around it.

spaCy's French news models (trained on WikiNER) often take a determiner, a preposition, a title or a
headline's colon into the span: "l'Espagne", "de France", "M. Romney", "président Obama",
"Vendée Globe : Kito", "New Jersey mercredi", "Assemblée !", "Moody'" (the tokenizer splits the
possessive). Measured on the hand-labelled Wikinews mentions (tests/quality/), such boundaries were
about a third of all span errors. `fix_span` is the rule, a pure function on character offsets;
`add_to(nlp)` appends it to a loaded pipeline as the component `newsbeam_entity_spans`, after `ner`,
so every consumer of the pipeline (the enrichment step, the benchmark's anchor) sees the same spans.

Every rule only removes what is not part of a name, or splits a span at a separator; none invents a
mention. Names whose article is part of the name keep it ("Le Figaro", "Le Pen", "Les Verts"): a
capitalised article is dropped only before a country or an acronym ("La France", "L'OTAN").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from transforms.entities.names import TITLES, is_acronym
from transforms.entities.types import HEAD_TYPES

COMPONENT = "newsbeam_entity_spans"

# A lowercase determiner or preposition glued to the front of a name ("l'Espagne", "de France").
_LEADING_FUNCTION = re.compile(r"^(?:(?:l|d|qu|jusqu)['’]\s*|(?:la|le|les|de|du|des|au|aux|à|en)\s+)+")
_LEADING_ARTICLE_CAP = re.compile(r"^(?:L['’]\s*|(?:La|Le|Les)\s+)")
# Generic nouns before a name that are not part of it: "ville de New York", "ouragan Sandy",
# "gouvernement Papadimos". Institutions keep their head ("ministère des Affaires étrangères").
_DESCRIPTORS = (
    "ville|métro|region|région|province|département|commune|quartier|village|capitale|gouvernement"
    "|régime|ouragan|tempête|cyclone|typhon|tornade|famille|clan|cabinet|équipe|groupe|société"
)
_LEADING_DESCRIPTOR = re.compile(
    rf"^(?:{_DESCRIPTORS})(?:\s+(?:de\s+la|de\s+l['’]|des|du|de|d['’]))?\s*(?=[A-ZÀ-Ý])", re.IGNORECASE
)
_TITLE = "|".join(re.escape(t).replace(r"\ ", r"\s+").replace("'", "['’]") for t in TITLES)
_PERSON_DESCRIPTOR = re.compile(r"(?:gouvernement|régime|famille|clan)\s+(?=[A-ZÀ-Ý])", re.IGNORECASE)
_LEADING_TITLE = re.compile(rf"^(?:{_TITLE})(?:\s+|(?<=\.))(?=[A-ZÀ-Ý])", re.IGNORECASE)
# Separators that end a name inside a span: a headline's colon, a dash between spaces, a line break.
_SEPARATOR = re.compile(r"\s*(?::|\s[-–—]\s|\n)\s*")
_TRAILING_PUNCT = re.compile(r"[\s!?.,;:«»\"“”()\[\]]+$")
_TRAILING_FOOTNOTE = re.compile(r"\[\d*\]?$")
_CALENDAR = (
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|janvier|février|mars|avril|mai|juin|juillet"
    r"|août|septembre|octobre|novembre|décembre|dernier|dernière|prochain|prochaine|hier|demain"
    r"|aujourd['’]hui|matin|soir"
)
_TRAILING_CALENDAR = re.compile(rf"(?:\s+(?:{_CALENDAR}))+$")
# A lowercase clause after the name: "Sénat pour les démocrates" (nothing capitalised after it).
_TRAILING_CLAUSE = re.compile(r"\s+(?:pour|par|avec|dans|sur|contre|selon|après|avant|depuis)\s+[^A-ZÀ-Ý]*$")
# A lowercase particle glued to a capitalised name is a name: "al-Serraj", "el-Sissi", "ibn-Khaldoun".
_PARTICLE_NAME = re.compile(r"^[a-z]{1,4}[-‐'’][A-ZÀ-Ý]")
_ABBREVIATION_END = re.compile(r"(?:^|\s)(?:[A-Z]|[A-Z][a-z]{0,2}|Jr|Sr|St)\.$")

#: Is this (capitalised-article-free) name a country or an acronym? Injected: the gazetteer is heavy.
IsCountry = Callable[[str], bool]


def _strip_leading(text: str, start: int, end: int, label: str, is_country: IsCountry | None) -> int:
    """New start offset (into `text`) after removing what precedes the name in `text[start:end]`."""
    while True:
        piece = text[start:end]
        patterns = (_LEADING_FUNCTION, _LEADING_DESCRIPTOR, _LEADING_TITLE)
        for pattern in patterns if label == "PER" else patterns[:2]:  # "General Electric" keeps its word
            match = pattern.match(piece)
            if match and match.end() < len(piece.rstrip()):
                start += match.end()
                break
        else:
            match = _LEADING_ARTICLE_CAP.match(piece)
            rest = piece[match.end() :] if match else ""
            if match and rest and label != "PER" and (is_acronym(rest) or (is_country and is_country(rest))):
                start += match.end()
                continue
            return start


def _strip_trailing(text: str, start: int, end: int) -> int:
    """New end offset after removing punctuation, footnote marks, calendar words, a trailing clause."""
    while end > start:
        piece = text[start:end]
        if _ABBREVIATION_END.search(piece):
            return end  # "George W." keeps its dot
        cut = piece
        for pattern in (_TRAILING_FOOTNOTE, _TRAILING_PUNCT, _TRAILING_CALENDAR, _TRAILING_CLAUSE):
            cut = pattern.sub("", cut)
        if cut == piece:
            return end
        end = start + len(cut)
    return end


_HEAD_BEFORE = re.compile(
    r"(?:^|(?<=[\s'’(]))(?P<head>"
    + "|".join(sorted(map(re.escape, HEAD_TYPES), key=len, reverse=True))
    + r")(?:\s+(?:de\s+la|de\s+l['’]|des|du|de|d['’])|\s+)\s*$"
)
#: How far back a lowercase head is looked for ("ministères des Affaires étrangères": 16 characters).
_HEAD_WINDOW = 24


def _with_head(text: str, start: int) -> int:
    """Start offset extended over a lowercase head written right before a capitalised name: the
    guidelines' "place Tahrir", "ministère de la Défense", "musée Pointe-à-Callière"."""
    if not text[start : start + 1].isupper():
        return start
    match = _HEAD_BEFORE.search(text, max(0, start - _HEAD_WINDOW), start)
    return match.start("head") if match else start


def person_descriptor(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` starts with a descriptor that makes the name a person's
    ("gouvernement Papadimos", "régime Moubarak", "famille Dassault")."""
    return bool(_PERSON_DESCRIPTOR.match(text, start, end))


def fix_span(
    text: str, start: int, end: int, label: str, is_country: IsCountry | None = None
) -> list[tuple[int, int]]:
    """The name(s) inside the span `text[start:end]`, as (start, end) offsets into `text`.

    Usually one span; several when a separator splits it ("Vendée Globe : Kito" -> both names);
    none when nothing name-like is left ("39 morts" after a colon). A possessive cut by the tokenizer
    ("Moody'" + "s") is extended over its "s".
    """
    possessive = text[start:end].endswith(("'", "’")) and text[end : end + 1] == "s"
    if possessive and (end + 1 == len(text) or not text[end + 1].isalpha()):
        end += 1
    pieces: list[tuple[int, int]] = []
    cursor = start
    for match in _SEPARATOR.finditer(text, start, end):
        if match.start() > cursor:
            pieces.append((cursor, match.start()))
        cursor = match.end()
    if cursor < end:
        pieces.append((cursor, end))
    out: list[tuple[int, int]] = []
    for piece_start, piece_end in pieces:
        s = _strip_leading(text, piece_start, piece_end, label, is_country)
        e = _strip_trailing(text, s, piece_end)
        name = text[s:e]
        if name and (name[0].isupper() or _PARTICLE_NAME.match(name)) and any(ch.isalpha() for ch in name):
            out.append((_with_head(text, s) if label != "PER" else s, e))
    return out


def country_test() -> IsCountry:
    """`is_country` backed by the gazetteer (countries and places of a million people or more)."""
    from transforms.entities.gazetteer import lookup_candidates

    def is_country(name: str) -> bool:
        return any(p.kind == "country" or p.population >= 1_000_000 for p in lookup_candidates(name))

    return is_country


def add_to(nlp) -> None:  # nlp: spacy.Language
    """Append the `newsbeam_entity_spans` component after `ner` (once)."""
    from spacy.language import Language

    if COMPONENT not in Language.factories:
        is_country = country_test()

        @Language.component(COMPONENT)
        def fix_entity_spans(doc):  # spacy.tokens.Doc -> Doc
            spans = []
            for ent in doc.ents:
                label = ent.label_
                if person_descriptor(doc.text, ent.start_char, ent.end_char):
                    label = "PER"  # "gouvernement Papadimos": the government of a person
                for s, e in fix_span(doc.text, ent.start_char, ent.end_char, label, is_country):
                    span = doc.char_span(s, e, label=label, alignment_mode="contract")
                    if span is None or not len(span):
                        span = doc.char_span(s, e, label=label, alignment_mode="expand")
                    if span is not None and len(span):
                        spans.append(span)
            spans.sort(key=lambda span: (span.start, -span.end))
            kept, last_end = [], -1
            for span in spans:
                if span.start >= last_end:
                    kept.append(span)
                    last_end = span.end
            doc.ents = kept
            return doc

    if COMPONENT not in nlp.pipe_names:
        nlp.add_pipe(COMPONENT, after="ner")
