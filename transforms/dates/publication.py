"""Publication dates from the evidence real files carry, strongest first (pure functions).

1. ``header``: the ` date 2019-04-05` line (read by `transforms/read.py`).
2. ``metadata``: the date field of a JSON Lines record (`metadata_date`, read by `transforms/read.py`).
3. ``dateline``: the date a newsroom prints at the head of its article (`dateline_date`): Wikinews
   "29 mai 2012. -", wire copy "PARIS, 17 novembre 2018 (AFP) -", web pages "Publié le 17/11/2018 à
   10h32", their English forms, or a line holding only a date. It beats every date of the body.
4. ``path``: a date in the file's path or name (`path_date`): `/2018/11/17/`, `2018-11-17_slug.txt`,
   `20181117-slug.txt`, `/2018/11/` (month), or the user's own patterns.
5. ``content``: inference from the body (`transforms/dates/content_date.infer_pub_date`), last.

Two rules hold for every source (`choose_pub_date`): a date after the ingestion day is never taken (it
is impossible, whatever the evidence says; "the ingestion day" is the latest calendar day anywhere on
Earth at the ingestion instant, UTC+14, so a paper dated tomorrow in Auckland is not refused), and
nothing may contradict a dateline: a yearless dateline ("PARIS, 17 novembre (AFP) -") takes its year
from the path or metadata when they agree on the month, and content inference is only kept when it
falls on the dateline's day.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_PATH_PATTERNS",
    "Dateline",
    "PubDate",
    "choose_pub_date",
    "compile_path_pattern",
    "dateline_date",
    "latest_possible_day",
    "metadata_date",
    "path_date",
]

#: Order of the sources, strongest first; `pub_date_source` takes one of these values.
SOURCES = ("header", "metadata", "dateline", "path", "content")
#: Publication dates before this year are refused from every source (as the header reader does).
MIN_YEAR = 1800
#: The easternmost time zone: at any UTC instant, the latest calendar day in use somewhere.
_LATEST_ZONE = dt.timezone(dt.timedelta(hours=14))


@dataclass(frozen=True, slots=True)
class PubDate:
    """A publication date with how much of it is known and where it came from."""

    date: dt.date
    granularity: str  # 'day' | 'month'
    source: str  # one of SOURCES


@dataclass(frozen=True, slots=True)
class Dateline:
    """What a dateline says: a full date, or day and month only (wire copy often omits the year)."""

    day: int
    month: int
    year: int | None
    start: int  # offsets of the date's line in the text
    end: int

    def on(self, year: int) -> dt.date | None:
        return _safe_date(year, self.month, self.day)


def latest_possible_day(ingested_at: dt.datetime) -> dt.date:
    """The latest publication date possible at `ingested_at`: its calendar day in UTC+14."""
    if ingested_at.tzinfo is None:
        ingested_at = ingested_at.replace(tzinfo=dt.UTC)
    return ingested_at.astimezone(_LATEST_ZONE).date()


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------- lexicon
_MONTHS = {
    "janvier": 1, "janv": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "fév": 2, "fev": 2,
    "mars": 3, "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8,
    "septembre": 9, "sept": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "décembre": 12,
    "decembre": 12, "déc": 12, "dec": 12,
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
_WEEKDAYS = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip

_MON = (
    r"(?:janvier|janv\.?|f[ée]vrier|f[ée]vr?\.?|mars|avril|avr\.?|mai|juin|juillet|juil\.?|ao[uû]t"
    r"|septembre|sept\.?|octobre|oct\.?|novembre|nov\.?|d[ée]cembre|d[ée]c\.?"
    r"|January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?)"
)
_WD = (
    r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)"
)
_DAY = r"(?:1er|1st|2nd|3rd|[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|2\d\d\d)"
# A date in words, day first (French, British) or month first (American), weekday optional.
_DATE_DMY = rf"(?:(?P<wd>{_WD})\.?,?\s+)?(?:le\s+)?(?P<day>{_DAY})\s+(?P<mon>{_MON})"
_DATE_MDY = rf"(?:(?P<wd2>{_WD})\.?,?\s+)?(?P<mon2>{_MON})\s+(?P<day2>{_DAY}),?"
_DATE_WORDS = rf"(?:{_DATE_DMY}|{_DATE_MDY})"
_DATE_NUMERIC = (
    rf"(?:(?P<nd>[0-3]?\d)[/.](?P<nm>[01]?\d)[/.](?P<ny>{_YEAR})"  # French order: 17/11/2018
    rf"|(?P<iy>{_YEAR})-(?P<im>[01]\d)-(?P<id>[0-3]\d))"
)
_DASH = r"[-–—]"
_AGENCY = r"\((?:[A-Z][\w.&/ -]{0,30}|[a-z]{2,4}\.[a-z]{2,4})\)"  # (AFP), (Reuters), (AP), (Belga/Reuters)
_PLACE = r"(?P<place>[A-ZÀ-Ý][\wÀ-ÿ'’. -]{0,40}?(?:\s*\([^()\n]{1,30}\))?)"

_RX_WIKINEWS = re.compile(
    rf"^[ \t]*{_DATE_WORDS}\s+(?P<year>{_YEAR})(?:\s*,\s*[^.\n]{{1,60}})?\s*\.?\s*{_DASH}", re.I | re.M
)
_RX_WIRE = re.compile(
    rf"^[ \t]*{_PLACE}\s*,\s*(?i:{_DATE_WORDS})(?:\s+(?P<year>{_YEAR}))?\s*(?:{_AGENCY}\s*)?(?:{_DASH}|:)",
    re.M,
)
_RX_PUBLISHED = re.compile(
    rf"(?:^|[|•·]\s*|{_DASH}\s+)[ \t]*(?:Publi[ée]e?|Mis\s+en\s+ligne|Published|Posted|First\s+published)"
    rf"(?:\s+(?:le|on))?\s*:?\s*(?:(?i:{_DATE_WORDS})\s+(?P<year>{_YEAR})|{_DATE_NUMERIC})",
    re.M,
)
_RX_DATE_LINE = re.compile(
    rf"^[ \t]*(?:Le\s+)?(?:{_DATE_WORDS}\s+(?P<year>{_YEAR})|{_DATE_NUMERIC})"
    rf"(?:\s*(?:à|at|,|{_DASH})?\s*\d{{1,2}}\s*[h:.]\s*\d{{2}}(?:\s*(?:[AaPp]\.?[Mm]\.?|UTC|GMT|CET|CEST))?)?"
    r"[ \t]*\.?[ \t]*$",
    re.I | re.M,
)
#: How much of an article's head may hold its dateline: the first lines, within the first characters.
HEAD_LINES = 6
HEAD_CHARS = 1200
#: A "Publié le" line is metadata, not a sentence of the body: it is short.
MAX_PUBLISHED_LINE = 200


def _head(text: str) -> str:
    """The first HEAD_LINES non-empty lines of `text`, cut at HEAD_CHARS (offsets preserved)."""
    seen = 0
    end = 0
    for match in re.finditer(r"[^\n]*(?:\n|$)", text):
        if match.group().strip():
            seen += 1
        end = match.end()
        if seen >= HEAD_LINES or end >= HEAD_CHARS or not match.group():
            break
    return text[: min(end, HEAD_CHARS)]


def _word_date(match: re.Match[str], year: int | None) -> Dateline | None:
    """The Dateline of a date in words (either order), checking the weekday when one is written."""
    groups = match.groupdict()
    day_text = groups.get("day") or groups.get("day2")
    month_text = groups.get("mon") or groups.get("mon2")
    weekday = groups.get("wd") or groups.get("wd2")
    if not day_text or not month_text:
        return None
    day = int(re.match(r"\d+", day_text).group())  # type: ignore[union-attr]
    month = _MONTHS.get(month_text.lower().rstrip("."))
    if month is None:
        return None
    line = Dateline(day, month, year, match.start(), match.end())
    if year is not None:
        date = line.on(year)
        if date is None:
            return None
        if weekday and date.weekday() != _WEEKDAYS.get(weekday.lower().rstrip(".")):
            return None  # "vendredi 17 novembre 2018" is a Saturday: not a date we can trust
    elif _safe_date(2000, month, day) is None:  # leap year: 29 February is a real day
        return None
    return line


def _numeric_date(match: re.Match[str]) -> Dateline | None:
    groups = match.groupdict()
    if groups.get("ny"):
        day, month, year = int(groups["nd"]), int(groups["nm"]), int(groups["ny"])  # French order
    elif groups.get("iy"):
        day, month, year = int(groups["id"]), int(groups["im"]), int(groups["iy"])
    else:
        return None
    if _safe_date(year, month, day) is None:
        return None
    return Dateline(day, month, year, match.start(), match.end())


def _from_match(match: re.Match[str]) -> Dateline | None:
    if match.groupdict().get("ny") or match.groupdict().get("iy"):
        return _numeric_date(match)
    year = match.group("year")
    return _word_date(match, int(year) if year else None)


def dateline_date(text: str) -> Dateline | None:
    """The dateline of an article, searched in its head only; None when it has none.

    The first match in the text wins among: a Wikinews-style line start ("5 juillet 2012. -",
    "21 septembre 2012, France. -"), a wire dateline ("PARIS, 17 novembre 2018 (AFP) -", also
    yearless, "WASHINGTON, Nov. 17, 2018 (Reuters) -"), a "Publié le ..." / "Published ..." line
    (never "Mis à jour" / "Updated", which is not the publication), and a line holding only a date.
    Dates inside sentences are never datelines.
    """
    head = _head(text)
    found: list[Dateline] = []
    for regex in (_RX_WIKINEWS, _RX_WIRE, _RX_DATE_LINE):
        for match in regex.finditer(head):
            line = _from_match(match)
            if line is not None:
                found.append(line)
                break
    for match in _RX_PUBLISHED.finditer(head):
        line_start = head.rfind("\n", 0, match.start()) + 1
        line_end = head.find("\n", match.end())
        if (line_end if line_end >= 0 else len(head)) - line_start > MAX_PUBLISHED_LINE:
            continue
        line = _from_match(match)
        if line is not None:
            found.append(line)
            break
    return min(found, key=lambda line: line.start) if found else None


# ------------------------------------------------------------------------------------------- paths
#: Date patterns of archive paths, tried in order on the whole path (named groups year, month, day).
DEFAULT_PATH_PATTERNS: tuple[str, ...] = (
    r"(?<!\d)(?P<year>(?:19|20)\d\d)/(?P<month>0?[1-9]|1[0-2])/(?P<day>0?[1-9]|[12]\d|3[01])/",
    r"(?<![\d])(?P<year>(?:19|20)\d\d)[-_.](?P<month>0[1-9]|1[0-2])[-_.](?P<day>0[1-9]|[12]\d|3[01])(?!\d)",
    r"(?<![\w])(?P<year>(?:19|20)\d\d)(?P<month>0[1-9]|1[0-2])(?P<day>0[1-9]|[12]\d|3[01])(?=[-_.][^/]*$)",
    r"(?<!\d)(?P<year>(?:19|20)\d\d)/(?P<month>0[1-9]|1[0-2])/",
)


def compile_path_pattern(pattern: str) -> re.Pattern[str]:
    """A user's path pattern, checked: it must name the groups `year` and `month` (`day` optional)."""
    try:
        compiled = re.compile(pattern)
    except re.error as err:
        raise ValueError(f"path date pattern {pattern!r}: {err}") from None
    missing = {"year", "month"} - set(compiled.groupindex)
    if missing:
        raise ValueError(f"path date pattern {pattern!r} lacks the named group(s) {sorted(missing)}")
    return compiled


def path_date(path: str, user_patterns: Sequence[str] = ()) -> PubDate | None:
    """The date a file's path (or a record's URL) carries, or None.

    The user's patterns are tried first: any match of theirs wins. Then the defaults, where the match
    nearest the file name wins (`/2018/11/17/2018-11-16_x.txt` is dated by its name) and, at the same
    place, a day beats a month.
    """
    path = path.replace("\\", "/")
    for group in (user_patterns, DEFAULT_PATH_PATTERNS):
        found: list[tuple[int, int, PubDate]] = []
        for pattern in group:
            for match in compile_path_pattern(pattern).finditer(path):
                groups = match.groupdict()
                day = groups.get("day")
                date = _safe_date(int(groups["year"]), int(groups["month"]), int(day) if day else 1)
                if date is not None and date.year >= MIN_YEAR:
                    found.append(
                        (match.end(), 1 if day else 0, PubDate(date, "day" if day else "month", "path"))
                    )
        if found:
            return max(found, key=lambda item: (item[0], item[1]))[2]
    return None


# ---------------------------------------------------------------------------------------- metadata
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})(?:-(\d{2}))?(?=$|[T\s])")
_NUMERIC_DMY = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")


def metadata_date(value: object) -> PubDate | None:
    """A JSON metadata date: ISO 8601 (date or date-time, any offset: the local date is kept), RFC 2822
    ("Sat, 17 Nov 2018 10:32:00 +0100"), French numeric "17/11/2018", or a date in words. Raises
    ValueError for a value that is not a date; None for an empty one.

    Why the local date and not UTC: a story published at 23:30 in New York on the 17th is the 17th's
    story, which is what its newsroom and its readers call it.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"not a date string: {value!r}"[:120])
    iso = _ISO_DATE.match(value)
    if iso:
        year, month, day = int(iso.group(1)), int(iso.group(2)), iso.group(3)
        date = _safe_date(year, month, int(day) if day else 1)
        if date is None:
            raise ValueError(f"not a real date: {value!r}"[:120])
        return PubDate(date, "day" if day else "month", "metadata")
    numeric = _NUMERIC_DMY.match(value)
    if numeric:
        date = _safe_date(int(numeric.group(3)), int(numeric.group(2)), int(numeric.group(1)))
        if date is None:
            raise ValueError(f"not a real date: {value!r}"[:120])
        return PubDate(date, "day", "metadata")
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None:
        return PubDate(parsed.date(), "day", "metadata")
    words = re.match(rf"\s*{_DATE_WORDS}\s+(?P<year>{_YEAR})", value, re.I)
    line = _word_date(words, int(words.group("year"))) if words else None
    if line is not None and line.year is not None:
        return PubDate(dt.date(line.year, line.month, line.day), "day", "metadata")
    raise ValueError(f"not a date: {value!r}"[:120])


# ------------------------------------------------------------------------------------------ choice
def choose_pub_date(
    *,
    latest: dt.date,
    given: PubDate | None = None,
    dateline: Dateline | None = None,
    path: PubDate | None = None,
    content: PubDate | Callable[[], PubDate | None] | None = None,
) -> tuple[PubDate | None, list[str]]:
    """The publication date from the evidence, strongest first, and what was refused (reasons).

    `given` is the header's or the metadata's date; `content` may be a function, called only when
    nothing stronger decided (content inference reads the whole body). Every candidate after `latest`
    is refused (`future_<source>`). A dateline with a year is a date; a yearless one takes the year of `given`
    or `path` when their month agrees, and otherwise constrains: content inference must fall on its
    day and month (`contradicts_dateline`), nothing else is guessed.
    """
    refused: list[str] = []

    def usable(candidate: PubDate | None) -> PubDate | None:
        if candidate is None:
            return None
        if candidate.date > latest:
            refused.append(f"future_{candidate.source}")
            return None
        if candidate.date.year < MIN_YEAR:
            refused.append(f"too_old_{candidate.source}")
            return None
        return candidate

    if (found := usable(given)) is not None:
        return found, refused
    if dateline is not None and dateline.year is not None:
        found = usable(PubDate(dt.date(dateline.year, dateline.month, dateline.day), "day", "dateline"))
        if found is not None:
            return found, refused
    elif dateline is not None:
        for other in (given, path):
            if other is not None and other.date.month == dateline.month:
                date = dateline.on(other.date.year)
                found = usable(PubDate(date, "day", "dateline")) if date else None
                if found is not None:
                    return found, refused
    if (found := usable(path)) is not None:
        return found, refused
    found = usable(content() if callable(content) else content)
    if found is not None and dateline is not None and not _on_dateline_day(found, dateline):
        refused.append("contradicts_dateline")
        return None, refused
    return found, refused


def _on_dateline_day(found: PubDate, dateline: Dateline) -> bool:
    return found.granularity == "day" and (found.date.month, found.date.day) == (dateline.month, dateline.day)
