"""Publication date inferred from a document's content, the weakest evidence of
`transforms/dates/publication.py`: used only when a file carries no header, metadata, dateline or
dated path. Never from the clock.
"""

from __future__ import annotations

import datetime
import re

from transforms.dates.candidates import (
    _daynum,
    _month,
    _safe_date,
)
from transforms.dates.extract import (
    extract_dates,
)
from transforms.dates.lexicon import (
    _B,
    _DAYNUM,
    _MON_EN,
    _MON_FR_FULL,
    _RX_FR_DATE,
    _WD_FR,
    _WEEKDAYS,
    _YEAR4,
    _c,
)

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
