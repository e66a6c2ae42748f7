"""Candidates of the date tagger and the calendar arithmetic that resolves them: the resolution context
of a document (anchor, running reference date), a candidate span with its resolver, and the pure
helpers (nearest year, weekday, month, ISO week, tense cues) the rules share.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from transforms.dates.lexicon import (
    _FUTURE_STOP,
    _MONTHS,
    _MONTHS_EN,
    _RX_FUTURE,
    _RX_PAST,
    _RX_SENT_BOUNDARY,
    _SENT_START_CHARS,
)


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
