"""Rule-based French (and tweet-English) temporal expression tagger and normaliser.

Why rules and not ``dateparser.search_dates``: the latter treats every token as a possible date
("sa" -> samedi, "Je" -> jeudi, "Mais" -> May, "sept personnes" -> September, "8 minutes" -> a time).
A small grammar of French temporal expressions, anchored on explicit cues (a day number next to a
month, a weekday name, a deictic like "hier", an "h" clock notation), is both more precise and
orders of magnitude faster. Conventions follow ISO-TimeML as annotated in the French TimeBank:

- Spans include determiners that are part of the expression ("le 4 avril", "ce dimanche",
  "l'année 2001", "la nuit") but not prepositions ("en 2018" -> "2018", "du 30 mai" -> "30 mai").
- Values: ``YYYY-MM-DD`` (day), ``YYYY-MM`` (month, also for "début/mi/fin avril": the TimeML
  ``mod`` is not part of the value), ``YYYY`` (year), ``YYYY-Www`` (week), ``YYYY-Www-WE`` (weekend),
  ``YYYY-SU`` (season), ``XXXX-SU`` for a generic season ("en été"), ``199`` (decade), ``19``
  (century), ``YYYY-MM-DDTHH:MM`` (clock time), ``YYYY-MM-DDTMO|TAF|TEV|TNI|TDT`` (parts of day),
  ``PRESENT_REF`` / ``PAST_REF`` / ``FUTURE_REF`` for "désormais", "récemment", "prochainement".

Resolution rules (documented because they are choices):

- Weekday alone: the anchor itself when it has the same day name; otherwise the nearest previous
  occurrence, or the nearest following one when the clause is in the future ("sera", "doit", "va",
  "prévu", "-ra"/"-ront" forms, "prochain", "demain"); "dernier"/"passé" forces previous,
  "prochain" forces following (both strictly, so "mercredi dernier" on a Wednesday is 7 days back).
- Day + month without year: the year that puts the date nearest to the anchor; "dernier" forces
  on/before the anchor, "prochain" on/after.
- "ce jeudi": the anchor if it is a Thursday, else by tense as above, else the Thursday of the
  anchor's week.
- Month alone: "mars dernier" strictly before the anchor month, "juillet prochain" strictly after;
  otherwise the clause tense picks the anchor month or before (past) / or after (future); with no
  tense cue, the nearest such month.
- "hier à 10 h" / "vendredi à 19h00" form one TIME mention (TimeML), valued on that day.
- "la veille", "le lendemain", "le matin même", "la nuit", bare clock times: relative to the reference
  date, i.e. the last day-level date mentioned before (for a clock time, a date written right after
  it, "vers 0 h 40, jeudi", wins), else the anchor.
- Anchor granularity: an anchor of granularity "month" (header "2019-04") resolves month- and
  year-level relatives ("mars dernier", "l'an dernier", "le 4 avril" via the nearest-year rule
  computed from mid-month); day-level relatives ("hier", "jeudi", "cette semaine", clock times without
  a dated reference) are returned with ``value=None, resolved=False``. A "year" anchor only resolves
  year-level relatives. No anchor: every relative mention is unresolved; absolute ones still resolve.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

from spacy.lang.fr.stop_words import STOP_WORDS as STOP_WORDS_FR

__all__ = ["DateMention", "extract_dates", "infer_pub_date"]


@dataclass(frozen=True, slots=True)
class DateMention:
    """One temporal expression found in a text, with its TimeML-style normalised value."""

    start: int  # char offset into the text passed in
    end: int  # exclusive
    text: str  # == text[start:end]
    kind: str  # 'DATE' | 'TIME'
    value: str | None  # ISO 8601 / TimeML value; None if unresolved
    granularity: str  # 'day' | 'month' | 'year' | 'time' | 'week' | 'season' | 'decade' | 'century' | 'ref'
    resolved: bool  # False when the value needs an anchor that is missing/too coarse
    relative: bool  # True when the value depends on the anchor (directly or via the mention it leans on)


# --------------------------------------------------------------------------------------------------
# Lexicon
# --------------------------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {
    "janvier": 1, "janv": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "fév": 2, "fev": 2,
    "mars": 3, "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8,
    "septembre": 9, "sept": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11,
    "décembre": 12, "decembre": 12, "déc": 12, "dec": 12,
}  # fmt: skip
_MONTHS_EN: dict[str, int] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_WEEKDAYS: dict[str, int] = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
_NUMBERS: dict[str, int] = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
    "seize": 16, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "cent": 100,
}  # fmt: skip
_DAYPARTS: dict[str, str] = {
    "matin": "MO", "matinée": "MO", "après-midi": "AF", "apres-midi": "AF", "soir": "EV", "soirée": "EV",
    "nuit": "NI", "journée": "DT", "midi": "12:00", "morning": "MO", "afternoon": "AF", "evening": "EV",
    "night": "NI", "tonight": "NI",
}  # fmt: skip
_SEASONS: dict[str, str] = {
    "printemps": "SP", "été": "SU", "ete": "SU", "automne": "FA", "hiver": "WI",
    "spring": "SP", "summer": "SU", "autumn": "FA", "fall": "FA", "winter": "WI",
}  # fmt: skip
_ROMAN: dict[str, int] = {"i": 1, "v": 5, "x": 10, "l": 50}

# Regex building blocks. Everything is compiled once at import.
_B = r"(?<![\w'’-])"  # left word boundary that also refuses "l'", "-" glued prefixes
_BM = r"(?<![\w-])"  # months accept elision: "d'avril", "l'octobre"
_E = r"(?![\w-])"  # right word boundary (refuses "jeudis", "mars-avril" handled as two words)
_WD_FR = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
_WD_EN = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MON_FR = (
    r"(?:janvier|janv\.|f[ée]vrier|f[ée]vr?\.|mars|avril|avr\.|mai|juin|juillet|juil\.|ao[uû]t"
    r"|septembre|sept\.?|octobre|oct\.|novembre|nov\.|d[ée]cembre|d[ée]c\.)"
)
_MON_FR_FULL = (
    r"(?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre)"
)
_MON_EN = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_DAYNUM = r"(?:1er|1re|premier|[12]\d|3[01]|0?[1-9])"
_YEAR4 = r"(?:1[5-9]\d\d|20\d\d)"
_YEAR = rf"(?:{_YEAR4}(?!\d)|[''’]?\d\d(?![\d\w]))"
_REL = r"(?:\s+(?P<rel>derni[eè]re?s?|pass[ée]e?s?|prochaine?s?))?"
_NUMW = r"(?:\d{1,3}|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente)"

_F = re.IGNORECASE


def _c(pattern: str, flags: int = _F) -> re.Pattern[str]:
    """Compile with the module defaults (case-insensitive); case rules are checked in handlers."""
    return re.compile(pattern, flags)


# Absolute French date: [le|ce] [weekday] 5 avril [2019] [dernier|prochain]
_RX_FR_DATE = _c(
    rf"{_B}(?P<det>(?:le|ce|ce\s+même|l[ae]\s+journée\s+du)\s+)?(?:(?P<wd>{_WD_FR}),?\s+)?"
    rf"(?<![\d,.])(?P<day>{_DAYNUM})(?!\d)\s*(?P<mon>{_MON_FR})(?!\w)(?:\s+(?P<year>{_YEAR}))?{_REL}"
)
# "les 6 et 13 avril", "du 3 au 6 avril": the first day borrows month/year from the second.
_RX_FR_COORD = _c(
    rf"{_B}(?P<det>les\s+)?(?<![\d,.])(?P<day>{_DAYNUM})(?!\d)(?=\s*(?:et|au|à|,|-)\s*(?:le\s+)?"
    rf"(?:{_WD_FR}\s+)?{_DAYNUM}\s+(?P<mon>{_MON_FR})(?!\w)(?:\s+(?P<year>{_YEAR4}))?{_REL})"
)
# English: "April 5, 2019", "April 5th 2019", "5 April 2019", "April 2019"
_RX_EN_MDY = re.compile(
    rf"(?<![\w])(?:(?P<wd>{_WD_EN}),?\s+)?(?P<mon>{_MON_EN})\s+(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
    rf"(?!\d)(?:,?\s+(?P<year>{_YEAR4}))?(?!\d)"
)
_RX_EN_DMY = re.compile(
    rf"(?<![\w])(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\s+(?P<mon>{_MON_EN})(?!\w)\s+(?P<year>{_YEAR4})(?!\d)"
)
_RX_EN_MY = re.compile(rf"(?<![\w])(?P<mon>{_MON_EN})(?!\w)\s+(?P<year>{_YEAR4})(?!\d)")
# Numeric dates: 05/04/2019, 5.4.2019, 2019-04-05
_RX_NUM_DMY = re.compile(
    r"(?<![\d/.-])(?P<day>[0-3]?\d)([/.])(?P<mon>[01]?\d)\2(?P<year>(?:19|20)\d\d)(?![\d/.]\d)"
)
_RX_ISO = re.compile(r"(?<![\d/.-])(?P<year>(?:19|20)\d\d)-(?P<mon>[01]\d)-(?P<day>[0-3]\d)(?![\d])")
# Month + year, optionally with a position modifier: "avril 2019", "début octobre 98", "mois de juin 2001"
_RX_FR_MY = _c(
    rf"{_BM}(?P<mod>(?:(?:la\s+)?mi-|(?:le\s+)?(?:début|courant|fin)\s+(?:du\s+mois\s+d[e'’]\s*)?|(?:le\s+)?mois\s+d[e'’]\s*))?"
    rf"(?P<mon>{_MON_FR_FULL})(?!\w)\s+(?P<year>{_YEAR})"
)
# Month alone: "mars", "en mars" (span excludes "en"), "mi-avril", "fin mars", "mars dernier", "mois de juin"
_RX_FR_MONTH = _c(
    rf"{_BM}(?P<mod>(?:la\s+)?mi-|(?:le\s+)?(?:début|courant|fin)\s+(?:du\s+mois\s+d[e'’]\s*)?|(?:le\s+)?mois\s+d[e'’]\s*)?"
    rf"(?P<mon>{_MON_FR_FULL}){_E}{_REL}"
)
# Years: "2019", "l'année 2001", "début 2019", "fin 2018"; quantities are filtered in the handler.
_RX_YEAR = _c(
    rf"{_B}(?P<mod>(?:l['’]an(?:née)?|(?:le\s+)?(?:début|fin|courant)|(?:la\s+)?mi-)\s*)?"
    rf"(?<![\d.,:])(?<![\d]\s)(?P<year>{_YEAR4})(?!\d)(?![.,:]\d)(?!\s\d{{3}}(?!\d))"
)
_RX_YEAR_BAD_AFTER = _c(
    r"\s*(?:%|€|\$|£|euros?\b|francs?\b|F\b|dollars?\b|livres?\b|km|kilom|m\b|mètres|m2|m²|kg|kilos?\b|tonnes?\b"
    r"|habitants?\b|personnes?\b|hommes?\b|femmes?\b|enfants?\b|soldats?\b|morts?\b|victimes?\b|blessés?\b"
    r"|voix\b|emplois?\b|salariés?\b|élèves?\b|exemplaires?\b|points?\b|places?\b|logements?\b|mercenaires?\b"
    r"|combattants?\b|militaires?\b|spectateurs?\b|participants?\b|visiteurs?\b|signatures?\b|litres?\b"
    r"|heures?\b|minutes?\b|jours?\b|ans\b|mois\b|fois\b|pages?\b|mètres?\b|pieds?\b|chevaux\b|ha\b|hectares?\b)"
)
_RX_YEAR_BAD_BEFORE = _c(
    r"(?:n°|\bno\.|\bnuméro|\bporte|\bpage|\bp\.|\barticle|\bart\.|\broute|\brn|\brd|\bkm|\bsalle|\bchambre"
    r"|\bcode|\bvol|\btél\.?|\bbus|\bligne|\bplus\s+de|\bmoins\s+de|\bprès\s+de|\benviron|\bquelques?|\bles"
    r"|\bdes|\bces|\bses|\bleurs|\baux|\bsur|\bpar|[+×*/=-])\s*$"
)
# Words after which a number is a year whatever follows: "en 2010", "depuis 1999", "jusqu'en 2014".
_RX_YEAR_CUE = _c(r"\b(?:en|depuis|dès|jusqu['’]en|avant|après|l['’]an(?:née)?|année)\s+$")
_RX_NEXT_WORD = _c(r"\s+(?:(?P<num>(?:et|ou|à)\s+\d{1,4})|(?P<word>[^\W\d_][\w'’-]*))")
_RX_YEAR_SLASH = re.compile(rf"(?<![\d/])(?P<y1>{_YEAR4})\s*[/-]\s*(?P<y2>{_YEAR4})(?![\d/])")
# Relative day words, optionally followed by a weekday and/or a part of day.
_RX_RELDAY = _c(
    rf"{_B}(?P<w>avant-hier|après-demain|apres-demain|hier|demain|aujourd['’]hui|yesterday|today|tomorrow"
    r"|l['’]avant-veille|la\s+veille|le\s+lendemain|le\s+surlendemain|le\s+jour\s+même)"
    rf"(?:,?\s+(?P<wd>{_WD_FR})(?!\w))?"
    r"(?:\s+(?:au\s+)?(?P<part>matin|après-midi|apres-midi|soir|midi|morning|afternoon|evening|night)(?![\w-]))?"
    r"(?!\s+(?:de|du|des|d['’])\s)(?!\s*d['’])"
)
# Weekdays: "jeudi", "ce jeudi", "jeudi dernier", "dimanche prochain", "mardi soir", "Friday"
_RX_WEEKDAY = _c(
    rf"{_B}(?P<det>ce\s+même\s+|ce\s+|cette\s+)?(?P<wd>{_WD_FR}|{_WD_EN})(?![\w-]){_REL}"
    r"(?:\s+(?:au\s+|dans\s+l[ae]\s+|en\s+)?(?P<part>matin|matinée|après-midi|apres-midi|soir|soirée|midi|nuit)(?![\w-]))?"
)
_RX_WD_SET_BEFORE = _c(r"(?:\ble|\bles|\btous|\bchaque|\bun|\bdu|\bau)\s+$")
# Parts of day: "ce soir", "ce matin", "cette nuit", "cet après-midi", "la nuit", "la soirée", "le matin même"
_RX_DAYPART = _c(
    rf"{_B}(?:(?P<this>ce|cette|cet)\s+(?P<p1>matin|soir|nuit|après-midi|apres-midi|midi)(?![\w-])"
    r"|(?P<det>la|le|l['’])\s*(?P<p2>nuit|soirée|matinée|journée|matin|soir|après-midi)"
    r"(?:\s+(?P<same>même|dernière|suivante))?(?![\w-]))"
)
_RX_DAYPART_CUE = _c(
    r"(?:dans|pendant|durant|au\s+cours\s+de|en\s+fin\s+de|en\s+début\s+de|tard\s+dans|toute|dès|tôt\s+dans)\s+$"
)
# Clock times: "19h00", "19 h 30", "18 heures", "à midi", "7:30 pm"
_RX_CLOCK = _c(
    r"(?<![\w,.:/])(?P<vers>vers\s+)?(?P<h>[01]?\d|2[0-4])\s?(?P<unit>h|heures?)(?:\s?(?P<m>[0-5]\d))?(?![\w])"
    r"|(?<![\w,.:/])(?P<h2>[01]?\d|2[0-3]):(?P<m2>[0-5]\d)(?:\s?(?P<ampm>[ap]\.?m\.?))?(?![\w:]|\.\d)"
    r"|(?<![\w'’-])(?P<noon>midi|minuit)(?![\w-])"
)
_RX_CLOCK_DURATION_BEFORE = _c(
    r"(?:pendant|durant|en|depuis|pour|plus\s+de|moins\s+de|près\s+de|environ|quelque|quelques|les|des|ces"
    r"|toutes\s+les|chaque|dernières|premières|prochaines|de\s+plus\s+de|au\s+bout\s+de|sur|et\s+demie?)\s+$"
)
_RX_CLOCK_OK_BEFORE = _c(
    r"(?:à|a|vers|dès|jusqu['’]à|avant|après|entre|et|de|ce|hier|demain|aujourd['’]hui|soir|matin|midi|at)\s+$"
)
# Weeks, months, years relative to the anchor.
_RX_RELPERIOD = _c(
    rf"{_B}(?:(?P<det>cette|ce|cet|la|le|l['’])\s*)?"
    r"(?P<pos>(?:fin|début|milieu)\s+(?:de\s+l['’]|du\s+|de\s+la\s+|d['’])\s*)?"
    r"(?P<unit>semaine|week-end|weekend|mois(?:-ci)?|année|an)(?![\w-])"
    r"(?:\s+(?P<rel>derni[eè]re?|pass[ée]e?|prochaine?|en\s+cours|courante?|écoulée?))?"
)
# A habitual clause: "la fin du mois" after these is every month's end, an idiom, not a date.
_RX_GENERIC_BEFORE = _c(
    r"(?:deux\s+bouts|boucler|chaque|tous\s+les|toutes\s+les|généralement|souvent|d['’]habitude)"
    r"[^.;!?]{0,40}$"
)
_RX_AGO = _c(
    rf"{_B}(?:il\s+y\s+a|voici|voilà|dans)\s+(?P<n>{_NUMW})\s+(?P<unit>jours?|semaines?|mois|ans|années)(?![\w-])"
)
_RX_SEASON = _c(
    r"(?<![\w'’-])(?:(?P<en>en\s+|au\s+)|(?P<det>cet\s+|ce\s+|l['’]\s*|le\s+))"
    r"(?P<s>printemps|été|automne|hiver)(?![\w-])"
    rf"(?:\s+(?P<year>{_YEAR4})(?!\d)|\s+(?P<rel>derni[eè]r|pass[ée]|prochain))?"
)
_RX_DECADE = _c(
    r"(?<![\w'’-])les\s+années\s+(?P<d>(?:19|20)?\d0|trente|quarante|cinquante|soixante|soixante-dix|quatre-vingts?"
    r"|quatre-vingt-dix)(?![\w-])"
)
_RX_CENTURY = _c(
    r"(?<![\w'’-])(?:(?P<det>le|au|du)\s+)?(?P<n>[XVI]+|\d{1,2})(?:e|ème|eme|è)\s+siècle(?![\w-])"
    r"|(?<![\w'’-])(?P<det2>le|au|du)\s+siècle\s+(?P<rel>dernier|prochain)"
)
_RX_REF = _c(
    r"(?<![\w'’-])(?P<w>désormais|actuellement|à\s+présent|maintenant|à\s+l['’]heure\s+actuelle|de\s+nos\s+jours"
    r"|récemment|dernièrement|naguère|jadis|autrefois|auparavant|prochainement|bientôt)(?![\w-])"
)
_REF_VALUES = {
    "désormais": "PRESENT_REF", "actuellement": "PRESENT_REF", "à présent": "PRESENT_REF",
    "maintenant": "PRESENT_REF", "à l'heure actuelle": "PRESENT_REF", "de nos jours": "PRESENT_REF",
    "récemment": "PAST_REF", "dernièrement": "PAST_REF", "naguère": "PAST_REF", "jadis": "PAST_REF",
    "autrefois": "PAST_REF", "auparavant": "PAST_REF", "prochainement": "FUTURE_REF",
    "bientôt": "FUTURE_REF",
}  # fmt: skip

# Tense cues for weekday/weekend direction.
_RX_FUTURE = _c(
    r"(?<![\w'’-])(?:[a-zéèêàâîôûç]{2,}(?:erai|eras|era|erons|erez|eront|irai|ira|iront|dra|dront|ra|ront)"
    r"|va|vont|doit|doivent|devra|devrait|devraient|prévue?s?|prochaine?s?|demain|aura|auront|seront|sera)(?![\w'’-])"
)
_FUTURE_STOP = frozenset(
    {"front", "affront", "caméra", "camera", "opéra", "opera", "extra", "sahara", "ultra", "mantra",
     "cobra", "zebra", "algebra", "contra", "tiara", "sierra"}
)  # fmt: skip
_RX_PAST = _c(
    r"(?<![\w'’-])(?:(?:a|ont|avait|avaient|eut|ayant|aurait|auraient|est|sont|était|étaient|fut|furent)"
    r"\s+(?:(?:été|eu|pas|déjà|ensuite|alors|aussi|bien|enfin|notamment|également|même|encore|toujours|en|y|se|s['’])\s+)*"
    r"[a-zéèêàâîôûç]+(?:é|ée|és|ées|i|ie|is|ies|u|ue|us|ues|it|ite|its|ert|erte|int|ainte|ort|ts|te)"
    r"|[a-zéèêàâîôûç]{2,}(?:ait|aient)|hier|dernier|dernière|passé|passée)(?![\w'’-])"
)
_RX_SENT_BOUNDARY = re.compile(r"[.!?;\n]")

_SENT_START_CHARS = frozenset('.!?«"“(\n:;—–-_')


# --------------------------------------------------------------------------------------------------
# Candidates and resolution context
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ctx:
    """Resolution state for one document: the anchor and the running reference date."""

    text: str
    anchor: datetime.date | None
    gran: str  # 'day' | 'month' | 'year'
    ref: datetime.date | None = None  # last day-level date mentioned (for "la veille", clock times)
    ref_relative: bool = True

    def has(self, need: str) -> bool:
        """True when the anchor is at least as fine as `need` ('day' < 'month' < 'year')."""
        if self.anchor is None:
            return False
        order = {"day": 0, "month": 1, "year": 2}
        return order.get(self.gran, 0) <= order[need]

    def anchor_mid(self) -> datetime.date:
        """Anchor as a day for nearest-date arithmetic: mid-month/mid-year when the anchor is coarse."""
        assert self.anchor is not None
        if self.gran == "month":
            return self.anchor.replace(day=15)
        if self.gran == "year":
            return datetime.date(self.anchor.year, 7, 1)
        return self.anchor


Resolver = Callable[[_Ctx], tuple[str | None, bool]]


@dataclass(slots=True)
class _Cand:
    """A matched span before overlap resolution; `resolve` computes (value, relative) lazily."""

    start: int
    end: int
    kind: str
    gran: str
    resolve: Resolver
    day_level: bool = False  # value is a calendar day: updates the reference date
    clock: bool = False  # a bare clock time that takes its date from the reference date
    prio: int = 9  # rule priority, lower wins among equally long overlapping candidates


def _daynum(s: str) -> int:
    """'1er' / 'premier' / '05' -> int."""
    s = s.lower()
    if s in ("1er", "1re", "premier"):
        return 1
    return int(s)


def _month(s: str) -> int:
    """Month name (French or English, full or abbreviated) -> 1..12."""
    key = s.lower().rstrip(".")
    return _MONTHS.get(key) or _MONTHS_EN[key]


def _year(s: str | None) -> int | None:
    """Four-digit or two-digit ('98', "'05") year; two digits pivot at 30 (news corpus convention)."""
    if s is None:
        return None
    s = s.lstrip("'’")
    y = int(s)
    if len(s) == 2:
        y += 2000 if y <= 30 else 1900
    return y


def _safe_date(y: int, m: int, d: int) -> datetime.date | None:
    """A date or None for impossible ones (31 avril)."""
    try:
        return datetime.date(y, m, d)
    except ValueError:
        return None


def _rel_kind(word: str | None) -> str | None:
    """Normalise 'dernier'/'passée'/'prochains' to 'past' / 'future'."""
    if not word:
        return None
    w = word.lower()
    if w.startswith(("dern", "pass", "écoul")):
        return "past"
    if w.startswith("proch"):
        return "future"
    return None


def _tense(text: str, start: int, end: int) -> str | None:
    """'future' / 'past' from the tense cue nearest to the mention within its clause, else None.

    A cheap stand-in for a POS tagger: French news narrates in passé composé/imparfait and announces
    in futur/"doit"/"prévu", which is what decides whether a bare weekday points back or forward.
    """
    left = max(0, start - 120)
    right = min(len(text), end + 120)
    seg_start = left
    for m in _RX_SENT_BOUNDARY.finditer(text, left, start):
        seg_start = m.end()
    nxt = _RX_SENT_BOUNDARY.search(text, end, right)
    seg_end = nxt.start() if nxt else right
    best: tuple[int, str] | None = None
    for rx, label in ((_RX_FUTURE, "future"), (_RX_PAST, "past")):
        for m in rx.finditer(text, seg_start, seg_end):
            if m.start() < end and m.end() > start:
                continue
            if label == "future" and m.group(0).lower() in _FUTURE_STOP:
                continue  # nouns that merely look like future forms ("front", "caméra")
            dist = start - m.end() if m.end() <= start else m.start() - end
            if best is None or dist < best[0]:
                best = (dist, label)
    return best[1] if best else None


def _weekday_date(anchor: datetime.date, wd: int, direction: str | None, strict: bool) -> datetime.date:
    """Resolve a weekday against the anchor; same day name -> anchor unless `strict` (dernier/prochain)."""
    delta = wd - anchor.weekday()
    if direction == "future":
        if delta < 0 or (delta == 0 and strict):
            delta += 7
        return anchor + datetime.timedelta(days=delta)
    if delta > 0 or (delta == 0 and strict):
        delta -= 7
    return anchor + datetime.timedelta(days=delta)


def _nearest_year(ref: datetime.date, month: int, day: int, direction: str | None) -> datetime.date | None:
    """Year for a day+month without year: nearest to `ref`, or constrained by dernier/prochain."""
    cands = [d for y in (ref.year - 1, ref.year, ref.year + 1) if (d := _safe_date(y, month, day))]
    if direction == "past":
        cands = [d for d in cands if d <= ref]
        return max(cands) if cands else None
    if direction == "future":
        cands = [d for d in cands if d >= ref]
        return min(cands) if cands else None
    return min(cands, key=lambda d: (abs((d - ref).days), d > ref)) if cands else None


def _nearest_month(
    ref: datetime.date, month: int, direction: str | None, tense: str | None = None
) -> tuple[int, int]:
    """(year, month) for a bare month name.

    "dernier"/"prochain" (`direction`) -> strictly before/after the anchor month; otherwise the clause
    tense picks the anchor month or before (past) / the anchor month or after (future); else nearest.
    """
    cur = ref.year * 12 + ref.month - 1
    opts = [(y * 12 + month - 1) for y in (ref.year - 1, ref.year, ref.year + 1)]
    if direction == "past":
        idx = max(o for o in opts if o < cur)
    elif direction == "future":
        idx = min(o for o in opts if o > cur)
    elif tense == "past":
        idx = max(o for o in opts if o <= cur)
    elif tense == "future":
        idx = min(o for o in opts if o >= cur)
    else:
        idx = min(opts, key=lambda o: (abs(o - cur), o > cur))
    return idx // 12, idx % 12 + 1


def _iso_week(d: datetime.date) -> str:
    """TimeML week value 'YYYY-Www' for the ISO week containing `d`."""
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def _at_sentence_start(text: str, pos: int) -> bool:
    """True when only spaces separate `pos` from a sentence/quote boundary (capitalised month allowed)."""
    i = pos - 1
    while i >= 0 and text[i] in " \t\u00a0":
        i -= 1
    return i < 0 or text[i] in _SENT_START_CHARS


# --------------------------------------------------------------------------------------------------
# Rule handlers: each turns a regex match into zero or more candidates.
# --------------------------------------------------------------------------------------------------


def _abs_day_resolver(
    day: int, month: int, year: int | None, rel: str | None, wd: int | None
) -> tuple[Resolver, bool]:
    """Resolver for a day+month(+year) date; returns (resolver, is_valid)."""
    if year is not None:
        d = _safe_date(year, month, day)
        return (lambda ctx: (d.isoformat() if d else None, False)), d is not None
    if _safe_date(2000, month, day) is None:  # 2000 is a leap year: accepts 29 février
        return (lambda ctx: (None, True)), False

    def resolve(ctx: _Ctx) -> tuple[str | None, bool]:
        if not ctx.has("month"):
            return None, True
        ref = ctx.anchor_mid()
        direction = rel
        d = _nearest_year(ref, month, day, direction)
        if d is not None and wd is not None and d.weekday() != wd:
            # The weekday disambiguates the year when the nearest one disagrees.
            for y in (ref.year, ref.year - 1, ref.year + 1):
                alt = _safe_date(y, month, day)
                if alt and alt.weekday() == wd:
                    d = alt
                    break
        return (d.isoformat() if d else None), True

    return resolve, True


def _h_fr_date(m: re.Match[str], text: str) -> list[_Cand]:
    """'le vendredi 5 avril 2019', '5 avril', 'le 6 mai dernier', 'octobre' handled elsewhere."""
    mon_s = m.group("mon")
    if mon_s.lower() == "sept" and not m.group("year"):
        return []  # "5 sept" without dot/year is too often the numeral
    day = _daynum(m.group("day"))
    year = _year(m.group("year"))
    wd = _WEEKDAYS[m.group("wd").lower()] if m.group("wd") else None
    resolver, ok = _abs_day_resolver(day, _month(mon_s), year, _rel_kind(m.group("rel")), wd)
    if not ok:
        return []
    start = m.start()
    end = m.end()
    if m.group("year") is None and m.group("rel") is None:
        end = m.end("mon")
    return [_Cand(start, end, "DATE", "day", resolver, day_level=True)]


def _h_fr_coord(m: re.Match[str], text: str) -> list[_Cand]:
    """First day of 'les 6 et 13 avril' / 'du 3 au 6 avril': month and year come from the second day."""
    resolver, ok = _abs_day_resolver(
        _daynum(m.group("day")),
        _month(m.group("mon")),
        _year(m.group("year")),
        _rel_kind(m.group("rel")),
        None,
    )
    if not ok:
        return []
    return [_Cand(m.start(), m.end("day"), "DATE", "day", resolver, day_level=True)]


def _h_en_date(m: re.Match[str], text: str) -> list[_Cand]:
    """'April 5, 2019' / '5 April 2019' / 'April 5' (English needs the capitalised month)."""
    mon_s = m.group("mon")
    if not mon_s[0].isupper():
        return []
    if mon_s.rstrip(".").lower() == "may" and m.group("year") is None:
        return []  # "May 5" without year: too risky (modal verb + number)
    wd = _WEEKDAYS[m.group("wd").lower()] if m.groupdict().get("wd") else None
    resolver, ok = _abs_day_resolver(int(m.group("day")), _month(mon_s), _year(m.group("year")), None, wd)
    if not ok:
        return []
    return [_Cand(m.start(), m.end(), "DATE", "day", resolver, day_level=True)]


def _h_en_my(m: re.Match[str], text: str) -> list[_Cand]:
    """'April 2019'."""
    if not m.group("mon")[0].isupper() or len(m.group("mon").rstrip(".")) < 3:
        return []
    value = f"{int(m.group('year')):04d}-{_month(m.group('mon')):02d}"
    return [_Cand(m.start(), m.end(), "DATE", "month", lambda ctx: (value, False))]


def _h_numeric(m: re.Match[str], text: str) -> list[_Cand]:
    """'05/04/2019' (day first, French order) and ISO '2019-04-05'."""
    d = _safe_date(int(m.group("year")), int(m.group("mon")), int(m.group("day")))
    if d is None:
        return []
    return [_Cand(m.start(), m.end(), "DATE", "day", lambda ctx: (d.isoformat(), False), day_level=True)]


def _h_fr_my(m: re.Match[str], text: str) -> list[_Cand]:
    """'avril 2019', 'début octobre 98', 'mois de juin 2001' -> month value (mod not in the value)."""
    mon_s = m.group("mon")
    ys = m.group("year")
    if not ys[0].isdigit() or len(ys) == 2:
        # two-digit year only right after a month ("octobre 98"); refuse "mai 15 personnes"
        after = text[m.end() : m.end() + 3]
        if re.match(r"\s*[a-zà-ü]", after):
            return []
    value = f"{_year(ys):04d}-{_month(mon_s):02d}"
    return [_Cand(m.start(), m.end(), "DATE", "month", lambda ctx: (value, False))]


def _h_fr_month(m: re.Match[str], text: str) -> list[_Cand]:
    """Bare month ('en mars', 'mars dernier', 'mi-avril'): lowercase unless sentence-initial."""
    mon_s = m.group("mon")
    if mon_s[0].isupper() and not m.group("mod") and not _at_sentence_start(text, m.start("mon")):
        return []
    if mon_s.lower() == "mai" and text[m.end("mon") : m.end("mon") + 1] == "s":
        return []
    month = _month(mon_s)
    rel = _rel_kind(m.group("rel"))
    start, end = m.start(), m.end()

    def resolve(ctx: _Ctx) -> tuple[str | None, bool]:
        if not ctx.has("month"):
            return None, True
        tense = None if rel else _tense(ctx.text, start, end)
        y, mo = _nearest_month(ctx.anchor_mid(), month, rel, tense)
        return f"{y:04d}-{mo:02d}", True

    return [_Cand(start, end, "DATE", "month", resolve)]


def _year_is_quantity(m: re.Match[str], text: str) -> bool:
    """True when a 4-digit number reads as a quantity ("2000 personnes", "plus de 1500", "n° 1999").

    Besides the lists of units and counted nouns, a number followed by a plural noun counts it: French
    puts the noun after a number above one in the plural ("2000 éléments", "entre 1500 et 1700
    francs"), while a year is followed by anything but that ("l'Euro 2012 mais", "les primaires de
    2008 face à"). A rule that also asked for a temporal word before the year ("en", "depuis") lost
    9 real years on the Wikinews articles ("le budget 2013", "l'horizon 2025") and gained none: not kept.
    """
    if _RX_YEAR_BAD_AFTER.match(text, m.end()):
        return True
    if m.group("mod") or _RX_YEAR_CUE.search(text, max(0, m.start() - 20), m.start()):
        return False  # "début 2019", "en 2010 et 15 euros en 2009": a year whatever follows
    if _counts_a_noun(text, m.end()):
        return True
    return _RX_YEAR_BAD_BEFORE.search(text, max(0, m.start() - 14), m.start()) is not None


def _counts_a_noun(text: str, end: int) -> bool:
    """The number is followed by a plural noun it counts, maybe after a second number ("1500 et 1700
    francs"): a lowercase word ending in -s or -x that is no function word, no month and no past
    participle ("le BAC 2012 dévoilés")."""
    match = _RX_NEXT_WORD.match(text, end)
    if match and match.group("num"):
        match = _RX_NEXT_WORD.match(text, match.end("num"))
    if not match or not match.group("word"):
        return False
    word = match.group("word")
    folded = word.lower()
    plural = folded.endswith(("s", "x")) and not folded.endswith(("és", "ées")) and len(folded) > 2
    months = folded in _MONTHS or folded in _MONTHS_EN
    return word[0].islower() and plural and folded not in STOP_WORDS_FR and not months


def _h_year(m: re.Match[str], text: str) -> list[_Cand]:
    """'2019', 'l'année 2001', 'début 2019' (not quantities)."""
    if _year_is_quantity(m, text):
        return []
    value = m.group("year")
    return [_Cand(m.start(), m.end(), "DATE", "year", lambda ctx: (value, False))]


def _h_year_slash(m: re.Match[str], text: str) -> list[_Cand]:
    """'2002/2003' or '2018-2019': two year mentions (TimeBank tags each year)."""
    y1, y2 = m.group("y1"), m.group("y2")
    if not int(y1) < int(y2) <= int(y1) + 50:
        return []
    return [
        _Cand(m.start("y1"), m.end("y1"), "DATE", "year", lambda ctx: (y1, False)),
        _Cand(m.start("y2"), m.end("y2"), "DATE", "year", lambda ctx: (y2, False)),
    ]


def _daypart_value(day: datetime.date | None, part: str | None) -> str | None:
    """'2019-04-04' + 'soir' -> '2019-04-04TEV'; 'midi' -> 'T12:00'."""
    if day is None:
        return None
    if not part:
        return day.isoformat()
    code = _DAYPARTS[part.lower()]
    return f"{day.isoformat()}T{code}"


_REL_OFFSETS = {
    "avant-hier": -2, "hier": -1, "aujourd'hui": 0, "demain": 1, "après-demain": 2, "apres-demain": 2,
    "yesterday": -1, "today": 0, "tomorrow": 1,
}  # fmt: skip
_REF_OFFSETS = {
    "l'avant-veille": -2, "la veille": -1, "le lendemain": 1, "le surlendemain": 2, "le jour même": 0,
}  # fmt: skip


def _h_relday(m: re.Match[str], text: str) -> list[_Cand]:
    """'hier', 'demain soir', "aujourd'hui vendredi", 'la veille', 'le lendemain'."""
    w = re.sub(r"\s+", " ", m.group("w").lower()).replace("’", "'")
    part = m.group("part")
    kind = "TIME" if part else "DATE"
    gran = "time" if part else "day"
    if w in _REL_OFFSETS:
        off = _REL_OFFSETS[w]

        def resolve(ctx: _Ctx) -> tuple[str | None, bool]:
            if not ctx.has("day"):
                return None, True
            return _daypart_value(ctx.anchor + datetime.timedelta(days=off), part), True  # type: ignore[operator]

        return [_Cand(m.start(), m.end(), kind, gran, resolve, day_level=not part)]
    off = _REF_OFFSETS[w]

    def resolve_ref(ctx: _Ctx) -> tuple[str | None, bool]:
        if ctx.ref is not None:  # relative to the last dated mention: anchor-dependent only if that was
            return _daypart_value(ctx.ref + datetime.timedelta(days=off), part), ctx.ref_relative
        if not ctx.has("day"):
            return None, True
        return _daypart_value(ctx.anchor + datetime.timedelta(days=off), part), True  # type: ignore[operator]

    return [_Cand(m.start(), m.end(), kind, gran, resolve_ref, day_level=not part)]


def _h_weekday(m: re.Match[str], text: str) -> list[_Cand]:
    """'jeudi', 'ce dimanche', 'mercredi dernier', 'dimanche prochain', 'mardi soir', 'Friday'."""
    wd_s = m.group("wd")
    if wd_s.lower() in _MONTHS_EN or (wd_s[0].islower() and wd_s.lower().endswith("day")):
        return []  # English weekday must be capitalised
    if not m.group("det") and _RX_WD_SET_BEFORE.search(text, max(0, m.start() - 8), m.start()):
        return []  # "le mercredi", "tous les jeudis": recurring (SET), not a date
    wd = _WEEKDAYS[wd_s.lower()]
    rel = _rel_kind(m.group("rel"))
    part = m.group("part")
    det = (m.group("det") or "").strip().lower()
    start, end = m.start(), m.end()

    def resolve(ctx: _Ctx) -> tuple[str | None, bool]:
        if not ctx.has("day"):
            return None, True
        assert ctx.anchor is not None
        direction = rel or _tense(ctx.text, start, end)
        strict = rel is not None
        if det.startswith("ce") and not rel and direction is None:
            direction = "future" if wd >= ctx.anchor.weekday() else "past"
        d = _weekday_date(ctx.anchor, wd, direction, strict)
        return _daypart_value(d, part), True

    kind = "TIME" if part else "DATE"
    return [_Cand(start, end, kind, "time" if part else "day", resolve, day_level=not part)]


def _h_daypart(m: re.Match[str], text: str) -> list[_Cand]:
    """'ce soir' (anchor), 'la nuit' / 'la soirée' after 'dans/pendant' (reference date), 'le matin même'."""
    if m.group("this"):
        part = m.group("p1").lower()

        def resolve_this(ctx: _Ctx) -> tuple[str | None, bool]:
            if not ctx.has("day"):
                return None, True
            return _daypart_value(ctx.anchor, part), True

        return [_Cand(m.start(), m.end(), "TIME", "time", resolve_this)]
    part = m.group("p2").lower()
    same = (m.group("same") or "").lower()
    before = text[max(0, m.start() - 20) : m.start()]
    if not same and not _RX_DAYPART_CUE.search(before):
        return []
    if part in ("matin", "soir") and not same:
        return []  # "le matin" alone is mostly habitual ("le matin, il court")
    offset = -1 if same == "dernière" else (1 if same == "suivante" else 0)
    use_anchor = same == "dernière"

    def resolve(ctx: _Ctx) -> tuple[str | None, bool]:
        if not use_anchor and ctx.ref is not None:
            return _daypart_value(ctx.ref + datetime.timedelta(days=offset), part), ctx.ref_relative
        if not ctx.has("day"):
            return None, True
        return _daypart_value(ctx.anchor + datetime.timedelta(days=offset), part), True  # type: ignore[operator]

    return [_Cand(m.start(), m.end(), "TIME", "time", resolve)]


def _h_clock(m: re.Match[str], text: str) -> list[_Cand]:
    """'19h00', '19 h 30', 'à 18 heures', 'midi', '7:30 pm'; durations ('pendant 2 heures') are refused."""
    before = text[max(0, m.start() - 25) : m.start()]
    if m.group("noon"):
        word = m.group("noon")
        if word[0].isupper() and not _at_sentence_start(text, m.start()):
            return []  # "le Midi" (the south of France), "Midi Libre"
        hh, mm = (12, 0) if word.lower() == "midi" else (24, 0)
        if re.search(r"(?:après|apres|l['’]après|l['’]apres)-?\s*$", before, re.I):
            return []
        if re.search(r"(?:\bdu|\ble|\bau|\bdans\s+le)\s+$", before, re.I) and word.lower() == "midi":
            return []  # "le midi", "dans le Midi": region or habitual
        start = m.start()
    elif m.group("h2") is not None:
        hh, mm = int(m.group("h2")), int(m.group("m2"))
        ampm = (m.group("ampm") or "").lower().replace(".", "")
        if ampm == "pm" and hh < 12:
            hh += 12
        elif ampm == "am" and hh == 12:
            hh = 0
        if not ampm and not re.search(r"(?:à|vers|at|dès|jusqu['’]à|de|et)\s+$", before, re.I):
            return []  # "3:1" scores, ratios
        start = m.start()
    else:
        hh = int(m.group("h"))
        mm = int(m.group("m")) if m.group("m") else 0
        unit = m.group("unit").lower()
        if _RX_CLOCK_DURATION_BEFORE.search(before) and not m.group("vers"):
            return []
        bare_heures = unit.startswith("heure") and not m.group("m")
        if bare_heures and (hh > 23 or not (m.group("vers") or _RX_CLOCK_OK_BEFORE.search(before))):
            return []
        if hh == 24 and mm:
            return []
        start = m.start("h")
    end = m.end()
    hhmm = f"T{hh:02d}:{mm:02d}"
    return [_Cand(start, end, "TIME", "time", _clock_resolver(hhmm), clock=True)]


def _clock_resolver(hhmm: str) -> Resolver:
    """Clock time on the reference date (set by the caller's two-pass resolution), else on the anchor."""

    def resolve(ctx: _Ctx) -> tuple[str | None, bool]:
        if ctx.ref is not None:
            return f"{ctx.ref.isoformat()}{hhmm}", ctx.ref_relative
        if ctx.has("day"):
            return f"{ctx.anchor.isoformat()}{hhmm}", True  # type: ignore[union-attr]
        return None, True

    return resolve


def _h_relperiod(m: re.Match[str], text: str) -> list[_Cand]:
    """'cette semaine', 'la semaine dernière', 'ce week-end', 'le mois prochain', "l'année dernière"."""
    det = (m.group("det") or "").lower().replace("’", "'")
    unit = m.group("unit").lower()
    rel_s = (m.group("rel") or "").lower()
    pos = m.group("pos")
    rel = _rel_kind(rel_s) or ("this" if rel_s.startswith(("en cours", "cour")) else None)
    if unit == "mois-ci":
        rel, unit = "this", "mois"
    if det in ("cette", "ce", "cet"):
        rel = rel or "this"
    if rel is None:
        if not (pos and det in ("la", "le", "l'", "")) or unit in ("semaine", "week-end", "weekend"):
            return []
        rel = "this"  # "la fin de l'année", "début de l'année" -> the anchor's year/month
    if unit == "an" and rel == "this" and not rel_s:
        return []  # "cet an" is not French; "l'an" alone is not a date
    if pos and not rel_s and _RX_GENERIC_BEFORE.search(text, max(0, m.start() - 60), m.start()):
        return []  # "joindre les deux bouts à la fin du mois": every month, no date
    if det == "" and not pos:
        return []
    start, end = m.start(), m.end()

    if unit in ("week-end", "weekend"):

        def resolve_we(ctx: _Ctx) -> tuple[str | None, bool]:
            if not ctx.has("day"):
                return None, True
            a = ctx.anchor
            assert a is not None
            in_we = a.weekday() >= 5
            if rel == "this":
                direction = _tense(ctx.text, start, end)
                shift = 0 if in_we or direction == "future" else -7
            elif rel == "past":
                shift = -7
            else:
                shift = 7 if in_we else 0
            return _iso_week(a + datetime.timedelta(days=shift)) + "-WE", True

        return [_Cand(start, end, "DATE", "week", resolve_we)]

    step = {"past": -1, "future": 1, "this": 0}[rel]
    if unit == "semaine":

        def resolve_w(ctx: _Ctx) -> tuple[str | None, bool]:
            if not ctx.has("day"):
                return None, True
            return _iso_week(ctx.anchor + datetime.timedelta(days=7 * step)), True  # type: ignore[operator]

        return [_Cand(start, end, "DATE", "week", resolve_w)]
    if unit == "mois":

        def resolve_m(ctx: _Ctx) -> tuple[str | None, bool]:
            if not ctx.has("month"):
                return None, True
            a = ctx.anchor_mid()
            idx = a.year * 12 + a.month - 1 + step
            return f"{idx // 12:04d}-{idx % 12 + 1:02d}", True

        return [_Cand(start, end, "DATE", "month", resolve_m)]

    def resolve_y(ctx: _Ctx) -> tuple[str | None, bool]:
        if not ctx.has("year"):
            return None, True
        return f"{ctx.anchor.year + step:04d}", True  # type: ignore[union-attr]

    return [_Cand(start, end, "DATE", "year", resolve_y)]


def _h_ago(m: re.Match[str], text: str) -> list[_Cand]:
    """'il y a trois jours' (past) / 'dans deux semaines' (future): anchor +/- n units."""
    n_s = m.group("n").lower()
    n = int(n_s) if n_s.isdigit() else _NUMBERS.get(n_s)
    if not n:
        return []
    sign = 1 if m.group(0).lower().startswith("dans") else -1
    unit = m.group("unit").lower()
    if sign == 1 and unit.startswith(("an", "mois")) and n > 50:
        return []

    def resolve(ctx: _Ctx) -> tuple[str | None, bool]:
        a = ctx.anchor
        if unit.startswith("jour"):
            if not ctx.has("day"):
                return None, True
            return (a + datetime.timedelta(days=sign * n)).isoformat(), True  # type: ignore[operator]
        if unit.startswith("semaine"):
            if not ctx.has("day"):
                return None, True
            return _iso_week(a + datetime.timedelta(days=sign * 7 * n)), True  # type: ignore[operator]
        if unit == "mois":
            if not ctx.has("month"):
                return None, True
            mid = ctx.anchor_mid()
            idx = mid.year * 12 + mid.month - 1 + sign * n
            return f"{idx // 12:04d}-{idx % 12 + 1:02d}", True
        if not ctx.has("year"):
            return None, True
        return f"{a.year + sign * n:04d}", True  # type: ignore[union-attr]

    gran = {"j": "day", "s": "week", "m": "month"}.get(unit[0], "year")
    return [_Cand(m.start(), m.end(), "DATE", gran, resolve, day_level=gran == "day")]


def _h_season(m: re.Match[str], text: str) -> list[_Cand]:
    """'en été' (generic XXXX-SU), 'cet été', "l'hiver dernier", "l'été 2019"."""
    code = _SEASONS[m.group("s").lower()]
    start = m.start("s") if m.group("en") else m.start()
    if m.group("year"):
        value = f"{m.group('year')}-{code}"
        return [_Cand(start, m.end(), "DATE", "season", lambda ctx: (value, False))]
    det = (m.group("det") or "").strip().lower()
    rel = _rel_kind(m.group("rel"))
    if m.group("en") and not rel:
        return [_Cand(start, m.end(), "DATE", "season", lambda ctx: (f"XXXX-{code}", False))]
    if det.startswith(("l", "le")) and not rel:
        return []  # "l'été" alone is often generic or a noun phrase head ("l'hiver arabe")
    step = {"past": -1, "future": 1}.get(rel or "", 0)

    def resolve(ctx: _Ctx) -> tuple[str | None, bool]:
        if not ctx.has("month"):
            return None, True
        a = ctx.anchor_mid()
        season_month = {"SP": 4, "SU": 7, "FA": 10, "WI": 1}[code]
        y = a.year
        if step == -1 and a.month <= season_month + 1:
            y -= 1
        elif step == 1 and a.month >= season_month:
            y += 1
        return f"{y:04d}-{code}", True

    return [_Cand(start, m.end(), "DATE", "season", resolve)]


_DECADE_WORDS = {
    "trente": 3, "quarante": 4, "cinquante": 5, "soixante": 6, "soixante-dix": 7, "quatre-vingt": 8,
    "quatre-vingts": 8, "quatre-vingt-dix": 9,
}  # fmt: skip


def _h_decade(m: re.Match[str], text: str) -> list[_Cand]:
    """'les années 90' / 'les années 1990' -> '199'."""
    d = m.group("d").lower()
    if d.isdigit():
        value = d[:3] if len(d) == 4 else ("19" + d[0] if int(d) >= 30 else "20" + d[0])
    else:
        value = "19" + str(_DECADE_WORDS[d])
    return [_Cand(m.start(), m.end(), "DATE", "decade", lambda ctx: (value, False))]


def _roman(s: str) -> int:
    """Small roman numerals (century numbers)."""
    total, prev = 0, 0
    for ch in reversed(s.lower()):
        v = _ROMAN.get(ch, 0)
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total


def _h_century(m: re.Match[str], text: str) -> list[_Cand]:
    """'le XXe siècle' -> '19'; 'le siècle dernier' -> anchor century - 1."""
    if m.group("rel"):
        step = -1 if m.group("rel").lower().startswith("dern") else 1

        def resolve(ctx: _Ctx) -> tuple[str | None, bool]:
            if not ctx.has("year"):
                return None, True
            return f"{ctx.anchor.year // 100 + step:02d}", True  # type: ignore[union-attr]

        start = m.start() if (m.group("det2") or "").lower() == "le" else m.start() + len(m.group("det2")) + 1
        return [_Cand(start, m.end(), "DATE", "century", resolve)]
    n_s = m.group("n")
    n = int(n_s) if n_s.isdigit() else _roman(n_s)
    if not 1 <= n <= 22:
        return []
    value = f"{n - 1:02d}"
    det = (m.group("det") or "").lower()
    start = m.start() if det in ("", "le") else m.start("n")
    return [_Cand(start, m.end(), "DATE", "century", lambda ctx: (value, False))]


def _h_ref(m: re.Match[str], text: str) -> list[_Cand]:
    """'désormais' -> PRESENT_REF, 'récemment' -> PAST_REF, 'prochainement' -> FUTURE_REF (TimeML)."""
    key = re.sub(r"\s+", " ", m.group("w").lower()).replace("’", "'")
    value = _REF_VALUES[key]
    return [_Cand(m.start(), m.end(), "TIME", "ref", lambda ctx: (value, False))]


_Handler = Callable[[re.Match[str], str], list[_Cand]]


@dataclass(frozen=True, slots=True)
class _Rule:
    """A grammar rule: its regex, handler, priority and the cheap triggers that gate where it runs.

    Scanning every regex over the whole text is what makes naive taggers slow (Python's regex engine
    tries each position when a pattern has no literal prefix); each rule only runs in windows around its
    trigger words (C-level ``str.find``) or around digit runs of the right shape.
    """

    rx: re.Pattern[str]
    handler: _Handler
    prio: int  # on equal length, a lower number wins
    keys: tuple[str, ...] = ()  # word-initial lowercase substrings of the lowercased text
    case_keys: tuple[str, ...] = ()  # word-initial substrings of the original text (English months)
    digits: str = ""  # digit-run shape that triggers the rule: 'dmy' | 'iso' | 'year' | 'clock'


_MONTH_KEYS = ("janv", "févr", "fevr", "fév.", "fev.", "mars", "avr", "mai", "juin", "juil", "août", "aout",
               "sept", "octo", "oct.", "nove", "nov.", "décem", "decem", "déc.", "dec.")  # fmt: skip
_WD_KEYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "monday", "tuesday",
            "wednesday", "thursday", "friday", "saturday", "sunday")  # fmt: skip
_EN_MONTH_KEYS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RELDAY_KEYS = ("hier", "demain", "aujourd", "veille", "lendemain", "yesterday", "today", "tomorrow",
                "jour m")  # fmt: skip
_PERIOD_KEYS = ("semaine", "week", "mois", "année", "l'an", "l’an", "d'an", "d’an")
_REF_KEYS = ("désormais", "actuellement", "présent", "maintenant", "heure actuelle", "nos jours",
             "récemment", "dernièrement", "naguère", "jadis", "autrefois", "auparavant", "prochainement",
             "bientôt")  # fmt: skip
_RX_DIGITS = re.compile(r"\d+")

_RULES: tuple[_Rule, ...] = (
    _Rule(_RX_NUM_DMY, _h_numeric, 0, digits="dmy"),
    _Rule(_RX_ISO, _h_numeric, 0, digits="iso"),
    _Rule(_RX_FR_DATE, _h_fr_date, 1, keys=_MONTH_KEYS),
    _Rule(_RX_EN_MDY, _h_en_date, 1, case_keys=_EN_MONTH_KEYS),
    _Rule(_RX_EN_DMY, _h_en_date, 1, case_keys=_EN_MONTH_KEYS),
    _Rule(_RX_FR_COORD, _h_fr_coord, 2, keys=_MONTH_KEYS),
    _Rule(_RX_EN_MY, _h_en_my, 2, case_keys=_EN_MONTH_KEYS),
    _Rule(_RX_FR_MY, _h_fr_my, 2, keys=_MONTH_KEYS),
    _Rule(_RX_RELDAY, _h_relday, 3, keys=_RELDAY_KEYS),
    _Rule(_RX_WEEKDAY, _h_weekday, 3, keys=_WD_KEYS),
    _Rule(_RX_RELPERIOD, _h_relperiod, 3, keys=_PERIOD_KEYS),
    _Rule(_RX_AGO, _h_ago, 3, keys=("jour", "semaine", "mois", "ans", "année")),
    _Rule(_RX_SEASON, _h_season, 4, keys=("printemps", "été", "automne", "hiver")),
    _Rule(_RX_DECADE, _h_decade, 4, keys=("années",)),
    _Rule(_RX_CENTURY, _h_century, 4, keys=("siècle",)),
    _Rule(_RX_YEAR_SLASH, _h_year_slash, 4, digits="year"),
    _Rule(_RX_FR_MONTH, _h_fr_month, 5, keys=_MONTH_KEYS),
    _Rule(_RX_YEAR, _h_year, 5, digits="year"),
    _Rule(_RX_DAYPART, _h_daypart, 5, keys=("matin", "soir", "nuit", "midi", "journée")),
    _Rule(_RX_CLOCK, _h_clock, 6, keys=("midi", "minuit"), digits="clock"),
    _Rule(_RX_REF, _h_ref, 7, keys=_REF_KEYS),
)

_WIN_BEFORE = 60  # longest prefix before a trigger ("la fin de l'année ..." / "le jeudi 12 ...")
_WIN_AFTER = 70  # longest suffix after a trigger


class _Triggers:
    """Per-document trigger positions, computed once and shared by the rules that use the same key."""

    __slots__ = ("digit", "key", "low", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        low = text.lower()
        self.low: str | None = low if len(low) == len(text) else None  # rare case mappings change length
        self.key: dict[tuple[str, bool], list[int]] = {}
        self.digit: dict[str, list[int]] = {"dmy": [], "iso": [], "year": [], "clock": []}
        for m in _RX_DIGITS.finditer(text):
            start, end = m.span()
            nxt = text[end : end + 2]
            if end - start == 4:
                self.digit["year"].append(start)
                if nxt[:1] == "-":
                    self.digit["iso"].append(start)
            if nxt[:1] in ("/", ".") and nxt[1:2].isdigit():
                self.digit["dmy"].append(start)
            if nxt[:1] in ("h", "H", ":") or nxt in (" h", " H"):
                self.digit["clock"].append(start)

    def find(self, key: str, case: bool) -> list[int]:
        """Word-initial occurrences of `key` (in the original text when `case`, else lowercased)."""
        cached = self.key.get((key, case))
        if cached is not None:
            return cached
        hay = self.text if case else self.low
        assert hay is not None
        out: list[int] = []
        i = hay.find(key)
        while i >= 0:
            if i == 0 or not hay[i - 1].isalpha():  # word-initial only: "mai" not in "demain"
                out.append(i)
            i = hay.find(key, i + 1)
        self.key[(key, case)] = out
        return out

    def windows(self, rule: _Rule) -> list[tuple[int, int]]:
        """Merged [start, end) windows around the rule's triggers (whole text if lowercasing shifted)."""
        if rule.keys and self.low is None:
            return [(0, len(self.text))]
        hits: list[int] = []
        for key in rule.keys:
            hits.extend(self.find(key, False))
        for key in rule.case_keys:
            hits.extend(self.find(key, True))
        if rule.digits:
            hits.extend(self.digit[rule.digits])
        if not hits:
            return []
        hits.sort()
        n = len(self.text)
        out: list[tuple[int, int]] = []
        for h in hits:
            s, e = max(0, h - _WIN_BEFORE), min(n, h + _WIN_AFTER)
            if out and s <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], e))
            else:
                out.append((s, e))
        return out


def _candidates(text: str) -> list[_Cand]:
    """All rule matches, overlapping; overlap resolution happens in `_select`."""
    trig = _Triggers(text)
    out: list[_Cand] = []
    for rule in _RULES:
        last_end = -1
        for ws, we in trig.windows(rule):
            for m in rule.rx.finditer(text, ws, we):
                if m.start() < last_end:  # windows are disjoint; guard anyway against duplicates
                    continue
                last_end = m.end()
                for c in rule.handler(m, text):
                    if c.end > c.start:
                        c.prio = rule.prio
                        out.append(c)
    return out


def _select(cands: list[_Cand]) -> list[_Cand]:
    """Keep a non-overlapping subset, longest first (then rule priority, then leftmost)."""
    ranked = sorted(cands, key=lambda c: (-(c.end - c.start), c.prio, c.start))
    taken: list[_Cand] = []
    occupied: list[tuple[int, int]] = []
    for c in ranked:
        if any(c.start < e and s < c.end for s, e in occupied):
            continue
        taken.append(c)
        occupied.append((c.start, c.end))
    taken.sort(key=lambda c: c.start)
    return taken


_RX_DATE_A_TIME = re.compile(r"\s+(?:à|a)\s+$")


def _merge_date_time(sel: list[_Cand], text: str) -> list[_Cand]:
    """'hier à 10 h' is one TIME expression in TimeML: fold a day-level date + 'à' + clock time."""
    out: list[_Cand] = []
    i = 0
    while i < len(sel):
        c = sel[i]
        if (
            i + 1 < len(sel)
            and c.day_level
            and c.kind == "DATE"
            and sel[i + 1].clock
            and _RX_DATE_A_TIME.fullmatch(text, c.end, sel[i + 1].start)
        ):
            t = sel[i + 1]
            out.append(_Cand(c.start, t.end, "TIME", "time", t.resolve, clock=True))
            out.append(_Cand(c.start, c.end, c.kind, c.gran, c.resolve, day_level=True))  # ref only
            out[-1].gran = "__ref_only__"
            i += 2
            continue
        out.append(c)
        i += 1
    return out


_RX_DAY_VALUE = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|T)")


def _resolve_all(sel: list[_Cand], ctx: _Ctx, text: str) -> list[DateMention]:
    """Resolve dates in text order (tracking the reference date), then clock times against it."""
    values: dict[int, tuple[str | None, bool]] = {}
    ref_at: list[tuple[int, int, datetime.date, bool]] = []  # (start, end, date, relative)
    for i, c in enumerate(sel):
        if c.clock:
            continue
        value, rel = c.resolve(ctx)
        values[i] = (value, rel)
        if value and (c.day_level or c.kind == "TIME") and _RX_DAY_VALUE.match(value):
            d = datetime.date.fromisoformat(value[:10])
            ctx.ref, ctx.ref_relative = d, rel
            ref_at.append((c.start, c.end, d, rel))
    for i, c in enumerate(sel):
        if not c.clock:
            continue
        ctx.ref, ctx.ref_relative = _ref_for(c, ref_at, text)
        values[i] = c.resolve(ctx)
    out: list[DateMention] = []
    for i, c in enumerate(sel):
        if c.gran == "__ref_only__":
            continue
        value, rel = values[i]
        out.append(
            DateMention(c.start, c.end, text[c.start : c.end], c.kind, value, c.gran, value is not None, rel)
        )
    return out


_RX_GAP_FOLLOW = re.compile(r"[\s,]{0,3}")


def _ref_for(
    c: _Cand, ref_at: list[tuple[int, int, datetime.date, bool]], text: str
) -> tuple[datetime.date | None, bool]:
    """Reference date for a clock time: an adjacent following date ('0 h 40, jeudi'), else the last before."""
    last: tuple[datetime.date | None, bool] = (None, True)
    for s, e, d, rel in ref_at:
        if e <= c.start:
            last = (d, rel)
        elif (s >= c.end and _RX_GAP_FOLLOW.fullmatch(text, c.end, s)) or (s >= c.start and e <= c.end):
            return d, rel  # a date right after ("0 h 40, jeudi") or inside a merged "hier à 10 h"
    return last


def extract_dates(
    text: str, anchor: datetime.date | None = None, anchor_granularity: str = "day"
) -> list[DateMention]:
    """All date/time mentions in `text` (a whole document body), sorted by start, non-overlapping.

    `anchor` is the publication date used for relative expressions; `anchor_granularity` says how much
    of it is known ('day', 'month' for a "2019-04" header, 'year'). See the module docstring for the
    value conventions and the resolution rules.
    """
    if not text:
        return []
    sel = _merge_date_time(_select(_candidates(text)), text)
    if anchor is not None and anchor_granularity == "month":
        anchor = anchor.replace(day=1)
    elif anchor is not None and anchor_granularity == "year":
        anchor = anchor.replace(month=1, day=1)
    ctx = _Ctx(text=text, anchor=anchor, gran=anchor_granularity if anchor is not None else "day")
    return _resolve_all(sel, ctx, text)


# --------------------------------------------------------------------------------------------------
# Publication date inference
# --------------------------------------------------------------------------------------------------

_RX_TWEET_SIG = re.compile(
    rf"\(@\w+\)\s+(?P<mon>{_MON_EN})\s+(?P<day>[12]\d|3[01]|0?[1-9]),?\s+(?P<year>{_YEAR4})(?!\d)"
)
_RX_WD_DAY_MONTH = _c(rf"{_B}(?P<wd>{_WD_FR})\s+(?P<day>{_DAYNUM})\s+(?P<mon>{_MON_FR_FULL})(?!\w)(?!\s+\d)")


def infer_pub_date(text: str) -> tuple[datetime.date, str] | None:
    """Publication date inferred from content: (date, 'day') or None. Never from the clock.

    The weakest source of `transforms/dates/publication.py`, used only when the file carries no header,
    metadata, dateline or dated path. Accepted evidence: the signature of an embedded post ("— Name
    (@handle) April 5, 2019": the post's own timestamp), or two mentions of one day that confirm each
    other (a full date and a year-less "vendredi 5 avril" of the same day, a full date written with its
    matching weekday and repeated). One dated event is no evidence, whatever its form: measured on the
    100 Wikinews articles with their datelines removed, the rules that took a single weekday-matched date
    ("le 5 juillet 1962") or pinned a year-less weekday to the latest year mentioned dated 5 articles,
    none of them right (2026-12-02), so they were removed; a candidate older than a year the text names
    is refused too. Those 99 articles now get no content date, and neither do the 54 TimeBank texts.
    """
    if not text:
        return None
    support: dict[datetime.date, list[float]] = {}

    def add(d: datetime.date | None, w: float) -> None:
        if d is not None:
            support.setdefault(d, []).append(w)

    for m in _RX_TWEET_SIG.finditer(text):
        add(_safe_date(int(m.group("year")), _month(m.group("mon")), int(m.group("day"))), 3.0)
    for m in _RX_FR_DATE.finditer(text):
        ys = m.group("year")
        if m.group("wd") and ys and len(ys) == 4 and ys.isdigit():
            d = _safe_date(int(ys), _month(m.group("mon")), _daynum(m.group("day")))
            if d is not None and d.weekday() == _WEEKDAYS[m.group("wd").lower()]:
                add(d, 1.0)
    full_days, years = _absolute_days_and_years(text)
    yearless = [
        (_WEEKDAYS[m.group("wd").lower()], _daynum(m.group("day")), _month(m.group("mon")))
        for m in _RX_WD_DAY_MONTH.finditer(text)
    ]
    for d in full_days:
        if any(day == d.day and mon == d.month and d.weekday() == wd for wd, day, mon in yearless):
            add(d, 2.0)  # two mentions of the day: the full date and its year-less weekday form
    # A text that names a later year than the candidate's is not from the candidate's day: "le 5 juillet
    # 1962 ... le jeudi 5 juillet" in an article about the 50th anniversary (same weekday, 2012).
    latest_year = max(years, default=0)
    strong = {
        d: sum(w) for d, w in support.items() if (sum(w) >= 2.0 or max(w) >= 3.0) and d.year >= latest_year
    }
    if not strong:
        return None
    return max(strong.items(), key=lambda kv: (kv[1], kv[0]))[0], "day"


def _absolute_days_and_years(text: str) -> tuple[list[datetime.date], set[int]]:
    """Anchor-free day values and every year (from day, month and year mentions) found in `text`."""
    days: list[datetime.date] = []
    years: set[int] = set()
    for mt in extract_dates(text):
        if not mt.value or mt.relative or not mt.value[:4].isdigit():
            continue
        years.add(int(mt.value[:4]))
        if mt.granularity == "day" and len(mt.value) == 10:
            days.append(datetime.date.fromisoformat(mt.value))
    return days, years


def _pin_yearless(yearless: list[tuple[int, int, int]], years: set[int]) -> list[datetime.date]:
    """Dates of year-less weekday+day+month mentions whose weekday fits the latest year mentioned (or +1)."""
    if not years:
        return []
    latest = max(years)
    out: list[datetime.date] = []
    for wd, day, mon in yearless:
        for y in (latest, latest + 1):
            d = _safe_date(y, mon, day)
            if d is not None and d.weekday() == wd:
                out.append(d)
                break
    return out
