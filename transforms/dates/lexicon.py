"""The lexicon of the date tagger: month, weekday, number, season and part-of-day words, and the
regular expressions of French (and tweet-English) temporal expressions, compiled once at import.

Used by the rule handlers (`rules.py`) and the content date inference (`content_date.py`); the
conventions the patterns follow are in `extract.py`.
"""

from __future__ import annotations

import re

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
