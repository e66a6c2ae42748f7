"""Read raw article files through Beam's filesystems into `Document`s or `Rejected` records.

The pure part, `parse_document`, turns (path, bytes) into a Document or raises `RejectInput`
with a reason code; `ReadDocuments` matches a glob with `fileio` (so any Beam filesystem works:
local, gs://, s3://, ...) and routes failures to a tagged `rejected` output instead of crashing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.metrics import Metrics

from transforms.records import Document, Rejected

SUPPORTED_SUFFIXES = (".txt", ".txt.gz")
REJECTED_TAG = "rejected"
_NUL = b"\x00"

# The optional header: the file starts with ` date YYYY-MM` or ` date YYYY-MM-DD` (leading
# whitespace optional) followed by whitespace; the rest of the file is the body.
_HEADER = re.compile(r"\A[ \t]*date[ \t]+(\S+)(?:[ \t]*\r?\n|[ \t]+|\Z)")
_HEADER_VALUE = re.compile(r"\A(\d{4})-(\d{2})(?:-(\d{2}))?\Z")


@dataclass(frozen=True, slots=True)
class ReadConfig:
    """Limits of the reader. Why: one pathological file must not exhaust a worker's memory."""

    max_document_bytes: int = 10 * 1024 * 1024


class RejectInput(ValueError):
    """An input file that cannot become a document; `reason` is a stable code for the rejected table."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def parse_header(raw: str) -> tuple[dt.date | None, str | None, str]:
    """Split the optional ` date ...` header from the body.

    Returns (pub_date, granularity, body). A header whose value is not a real date is an error
    (`RejectInput('invalid_header_date')`): partition folders are built from it, so only
    validated dates may pass.
    """
    match = _HEADER.match(raw)
    if match is None:
        return None, None, raw
    value = match.group(1)
    parsed = _HEADER_VALUE.match(value)
    if parsed is None:
        raise RejectInput("invalid_header_date", f"header date {value[:40]!r} is not YYYY-MM or YYYY-MM-DD")
    year, month, day = int(parsed.group(1)), int(parsed.group(2)), parsed.group(3)
    try:
        pub_date = dt.date(year, month, int(day) if day else 1)
    except ValueError as err:
        raise RejectInput("invalid_header_date", f"header date {value!r}: {err}") from None
    if year < 1800:
        raise RejectInput("invalid_header_date", f"header date {value!r} is before 1800")
    return pub_date, ("day" if day else "month"), raw[match.end() :]


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode article bytes as UTF-8 (a BOM is dropped); returns (text, encoding name).

    Why strict: a wrong guess silently corrupts every downstream table; an undecodable file goes
    to `rejected/` with the byte offset so an operator can look at it.
    """
    if b"\x00" in data:
        raise RejectInput("binary_content", f"NUL byte at offset {data.index(_NUL)}")
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as err:
        raise RejectInput("invalid_utf8", f"{err.reason} at byte {err.start}") from None


def make_doc_id(source: str, body: str) -> str:
    """Stable id: a hash of the source path and the body, so reruns and reordering keep it."""
    return hashlib.blake2b(f"{source}\x00{body}".encode(), digest_size=8).hexdigest()


def parse_document(source: str, data: bytes, config: ReadConfig = ReadConfig()) -> Document:
    """Turn one file's bytes into a Document, or raise RejectInput with the reason."""
    if len(data) > config.max_document_bytes:
        raise RejectInput("too_large", f"{len(data)} bytes > limit {config.max_document_bytes}")
    text, encoding = decode_text(data)
    pub_date, granularity, body = parse_header(text)
    if not body.strip():
        raise RejectInput("empty", "no text after the header" if pub_date else "file has no text")
    return Document(
        doc_id=make_doc_id(source, body),
        source=source,
        text=body,
        content_sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding.replace("-sig", ""),
        pub_date=pub_date,
        pub_date_source="header" if pub_date else None,
        pub_date_granularity=granularity,
    )


def is_supported(path: str) -> bool:
    return path.lower().endswith(SUPPORTED_SUFFIXES)


class _ParseFile(beam.DoFn):
    """Read one matched file (decompressing .gz by extension) and parse it; failures go to `rejected`."""

    def __init__(self, config: ReadConfig) -> None:
        self._config = config
        self._read = Metrics.counter("newsbeam", "files_read")
        self._parsed = Metrics.counter("newsbeam", "parsed")
        self._rejected = Metrics.counter("newsbeam", "rejected")

    def process(self, readable: fileio.ReadableFile) -> Iterator:
        path = readable.metadata.path
        size = readable.metadata.size_in_bytes
        self._read.inc()
        try:
            if not is_supported(path):
                raise RejectInput("unsupported_extension", f"expected one of {', '.join(SUPPORTED_SUFFIXES)}")
            with readable.open(compression_type=CompressionTypes.AUTO) as handle:
                data = handle.read(self._config.max_document_bytes + 1)
            doc = parse_document(path, data, self._config)
        except RejectInput as err:
            self._rejected.inc()
            Metrics.counter("newsbeam", f"rejected_{err.reason}").inc()
            yield beam.pvalue.TaggedOutput(REJECTED_TAG, Rejected(path, err.reason, err.detail, size))
            return
        except (OSError, EOFError, ValueError) as err:  # truncated gzip, unreadable file, ...
            self._rejected.inc()
            Metrics.counter("newsbeam", "rejected_unreadable").inc()
            detail = f"{type(err).__name__}: {err}"[:500]
            yield beam.pvalue.TaggedOutput(REJECTED_TAG, Rejected(path, "unreadable", detail, size))
            return
        self._parsed.inc()
        yield doc


class ParseFiles(beam.PTransform):
    """FileMetadata -> tagged outputs `documents` and `rejected`; shared by batch and streaming reads."""

    def __init__(self, config: ReadConfig = ReadConfig()) -> None:
        super().__init__()
        self._config = config

    def expand(self, matches: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return (
            matches
            | "ReadMatches" >> fileio.ReadMatches(skip_directories=True)
            | "Parse" >> beam.ParDo(_ParseFile(self._config)).with_outputs(REJECTED_TAG, main="documents")
        )


class ReadDocuments(beam.PTransform):
    """Glob(s) -> tagged outputs `documents` (Document) and `rejected` (Rejected).

    Matching goes through `fileio.MatchAll`, so the same code reads local folders and any other
    Beam filesystem. An empty match is allowed (a scheduled run on an empty drop folder is no
    error); the summary reports zero documents.
    """

    def __init__(self, patterns: Iterable[str], config: ReadConfig = ReadConfig()) -> None:
        super().__init__()
        self._patterns = sorted(set(patterns))
        self._config = config

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.pvalue.DoOutputsTuple:
        return (
            pbegin
            | "Patterns" >> beam.Create(self._patterns)
            | "Match" >> fileio.MatchAll(empty_match_treatment=fileio.EmptyMatchTreatment.ALLOW)
            | "KeyByPath" >> beam.Map(lambda metadata: (metadata.path, metadata))
            | "GroupByPath" >> beam.GroupByKey()  # a file matched by two globs is read once;
            | "OnePerPath" >> beam.MapTuple(lambda _, copies: next(iter(copies)))  # also spreads reads
            | "ParseFiles" >> ParseFiles(self._config)
        )
