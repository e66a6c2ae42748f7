"""JSON Lines inputs, as scrapers write them: one article per line, with metadata fields.

The pure part: `JsonlFields` says which keys hold the text, date, title, url and id (defaults fit the
common scrapers: news-please's `maintext` / `date_publish`, trafilatura's `text` / `date`, and the
`text` / `date` / `title` / `url` of most hand-made spiders), `parse_record` turns one line into a
Document or raises `RejectInput` (the line is rejected, never the file), and `iter_lines` reads a file
line by line with a per-line bound, so a file of a million articles streams in bounded memory.

A record's `source` is `<file path>#<id>` when the record has an id, else `<file path>#L<line>`: stable
when a scraper appends to its file (line numbers of earlier records do not move), and with an id also
when it rewrites the file in another order. Reingesting the file skips the records already ingested.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import IO

from transforms.dates.publication import metadata_date
from transforms.records import Document, RejectInput

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
_FIELD_NAMES = ("text", "date", "title", "url", "id")


@dataclass(frozen=True, slots=True)
class JsonlFields:
    """The keys looked up for each field, first present non-empty value wins. A dotted key reads a
    nested object (`meta.published`)."""

    text: tuple[str, ...] = ("text", "maintext", "content", "body", "article", "raw_text")
    date: tuple[str, ...] = (
        "date", "date_publish", "published", "published_at", "pubDate", "pub_date", "publish_date",
        "publication_date", "datePublished", "date_published",
    )  # fmt: skip
    title: tuple[str, ...] = ("title", "headline")
    url: tuple[str, ...] = ("url", "link", "source_url", "canonical_url")
    id: tuple[str, ...] = ("id", "guid", "uid", "article_id")


def parse_field_options(values: Sequence[str], base: JsonlFields | None = None) -> JsonlFields:
    """`["text=body", "date=meta.published,created"]` -> JsonlFields with those keys (others default).

    Raises ValueError naming the mistake: the CLI turns it into a usage error.
    """
    fields = base or JsonlFields()
    for value in values:
        name, sep, keys = value.partition("=")
        name = name.strip()
        if not sep or name not in _FIELD_NAMES:
            names = ", ".join(_FIELD_NAMES)
            raise ValueError(f"--jsonl-field {value!r}: expected NAME=KEY[,KEY...] with NAME one of {names}")
        chosen = tuple(key.strip() for key in keys.split(",") if key.strip())
        if not chosen:
            raise ValueError(f"--jsonl-field {value!r}: no key given for {name}")
        fields = replace(fields, **{name: chosen})
    return fields


def is_jsonl(path: str) -> bool:
    return path.lower().endswith(JSONL_SUFFIXES)


def _lookup(record: dict, key: str) -> object:
    value: object = record
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _first(record: dict, keys: Sequence[str]) -> tuple[str | None, object]:
    """(key, value) of the first key with a non-empty value, else (None, None)."""
    for key in keys:
        value = _lookup(record, key)
        if value not in (None, "", [], {}):
            return key, value
    return None, None


def _as_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def parse_record(path: str, line_no: int, raw: bytes, fields: JsonlFields = JsonlFields()) -> Document:
    """One JSON Lines record -> Document; raises RejectInput(reason, detail) for a bad line.

    Reasons: `invalid_utf8`, `invalid_json` (not JSON, or not an object), `missing_text` (no text
    field, or an empty one), `invalid_metadata_date` (a non-empty date that is not a date: as for a
    header, the partition would be built from it, so it is not silently ignored).
    """
    where = f"line {line_no}"
    try:
        line = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
    except UnicodeDecodeError as err:
        raise RejectInput("invalid_utf8", f"{where}: {err.reason} at byte {err.start}") from None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise RejectInput("invalid_json", f"{where}: {err.msg} at column {err.colno}") from None
    if not isinstance(record, dict):
        raise RejectInput("invalid_json", f"{where}: a JSON {type(record).__name__}, not an object")
    _, text_value = _first(record, fields.text)
    text = text_value if isinstance(text_value, str) else None
    if text is None or not text.strip():
        keys = ", ".join(sorted(map(str, record))[:12])
        raise RejectInput(
            "missing_text", f"{where}: no non-empty text in {'/'.join(fields.text)} (keys: {keys})"
        )
    date_key, date_value = _first(record, fields.date)
    try:
        pub = metadata_date(date_value)
    except ValueError as err:
        raise RejectInput("invalid_metadata_date", f"{where}: field {date_key!r}: {err}") from None
    record_id = _as_text(_first(record, fields.id)[1])
    source = f"{path}#{record_id}" if record_id else f"{path}#L{line_no}"
    title = _as_text(_first(record, fields.title)[1])
    url = _as_text(_first(record, fields.url)[1])
    return Document(
        doc_id=hashlib.blake2b(f"{source}\x00{text}".encode(), digest_size=8).hexdigest(),
        source=source,
        text=text,
        content_sha256=hashlib.sha256(raw).hexdigest(),
        encoding="utf-8",
        pub_date=pub.date if pub else None,
        pub_date_source="metadata" if pub else None,
        pub_date_granularity=pub.granularity if pub else None,
        title=title.strip() if title else None,
        url=url.strip() if url else None,
    )


def iter_lines(handle: IO[bytes], limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, line bytes or None when longer than `limit`, size) of every non-blank line.

    Reads at most `limit + 1` bytes at a time: a 60 MB line costs a bounded buffer, not 60 MB.
    """
    line_no = 0
    while True:
        chunk = handle.readline(limit + 1)
        if not chunk:
            return
        line_no += 1
        size = len(chunk)
        if len(chunk) > limit and not chunk.endswith(b"\n"):
            while chunk and not chunk.endswith(b"\n"):  # skip the rest of the long line
                chunk = handle.readline(limit + 1)
                size += len(chunk)
            yield line_no, None, size
            continue
        stripped = chunk.strip()
        if stripped:
            yield line_no, stripped, size
