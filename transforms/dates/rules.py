"""The rules of the date tagger: one handler per grammar rule turns a regex match into candidates, and
`RULES` lists every rule with its priority and the cheap trigger words that gate where it runs.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

from spacy.lang.fr.stop_words import STOP_WORDS as STOP_WORDS_FR

from transforms.dates.candidates import (
    Resolver,
    _at_sentence_start,
    _Cand,
    _Ctx,
    _daynum,
    _iso_week,
    _month,
    _nearest_month,
    _nearest_year,
    _rel_kind,
    _safe_date,
    _tense,
    _weekday_date,
    _year,
)
from transforms.dates.lexicon import (
    _DAYPARTS,
    _MONTHS,
    _MONTHS_EN,
    _NUMBERS,
    _REF_VALUES,
    _ROMAN,
    _RX_AGO,
    _RX_CENTURY,
    _RX_CLOCK,
    _RX_CLOCK_DURATION_BEFORE,
    _RX_CLOCK_OK_BEFORE,
    _RX_DAYPART,
    _RX_DAYPART_CUE,
    _RX_DECADE,
    _RX_EN_DMY,
    _RX_EN_MDY,
    _RX_EN_MY,
    _RX_FR_COORD,
    _RX_FR_DATE,
    _RX_FR_MONTH,
    _RX_FR_MY,
    _RX_GENERIC_BEFORE,
    _RX_ISO,
    _RX_NEXT_WORD,
    _RX_NUM_DMY,
    _RX_REF,
    _RX_RELDAY,
    _RX_RELPERIOD,
    _RX_SEASON,
    _RX_WD_SET_BEFORE,
    _RX_WEEKDAY,
    _RX_YEAR,
    _RX_YEAR_BAD_AFTER,
    _RX_YEAR_BAD_BEFORE,
    _RX_YEAR_CUE,
    _RX_YEAR_SLASH,
    _SEASONS,
    _WEEKDAYS,
)


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
