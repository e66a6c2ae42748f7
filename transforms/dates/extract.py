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
from dataclasses import dataclass

from transforms.dates.candidates import (
    _Cand,
    _Ctx,
)
from transforms.dates.rules import (
    _RULES,
    _RX_DIGITS,
    _Rule,
)

__all__ = ["DateMention", "extract_dates"]


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
