"""Read raw article files through Beam's filesystems into `Document`s or `Rejected` records.

The pure part, `parse_document`, turns (path, bytes) into a Document or raises `RejectInput`
with a reason code; `ReadDocuments` matches a glob with `fileio` (so any Beam filesystem works:
local, gs://, s3://, ...) and routes failures to a tagged `rejected` output instead of crashing.
Text files (`.txt`, `.txt.gz`) are one document each; JSON Lines files (`.jsonl`, `.ndjson`, also
gzipped) one document per line, read by `transforms/read_jsonl.py`.
"""

from __future__ import annotations

import datetime as dt
import glob
import gzip
import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.metrics import Metrics

from transforms.read_jsonl import JSONL_SUFFIXES, JsonlFields, is_jsonl, iter_lines, parse_record
from transforms.records import FOLDER_FILES, Document, Rejected, RejectInput

TEXT_SUFFIXES = (".txt", ".txt.gz")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + JSONL_SUFFIXES
REJECTED_TAG = "rejected"
_NUL = b"\x00"

# The optional header: the file starts with ` date YYYY-MM` or ` date YYYY-MM-DD` (leading
# whitespace optional) followed by whitespace; the rest of the file is the body.
_HEADER = re.compile(r"\A[ \t]*date[ \t]+(\S+)(?:[ \t]*\r?\n|[ \t]+|\Z)")
_HEADER_VALUE = re.compile(r"\A(\d{4})-(\d{2})(?:-(\d{2}))?\Z")


@dataclass(frozen=True, slots=True)
class ReadConfig:
    """Limits of the reader (why: one pathological file must not exhaust a worker's memory; for JSON
    Lines the limit applies to each line) and the keys of JSON Lines records."""

    max_document_bytes: int = 10 * 1024 * 1024
    jsonl: JsonlFields = field(default_factory=JsonlFields)


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
    # A real date out of range (year 0001, 9999) is judged with the other evidence, like any
    # source: `dates.publication.choose_pub_date` refuses it (`too_old_header`, `future_header`).
    return pub_date, ("day" if day else "month"), raw[match.end() :]


#: File signatures of formats that are never article text, checked before any decoding.
#: Why: a PNG or a zip renamed `.txt` must be reported as what it is, not as "bad UTF-8".
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # empty archive
    (b"PK\x07\x08", "zip"),  # spanned archive
    (b"\x1f\x8b", "gzip"),
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x7fELF", "elf"),
)

#: Byte-order marks, longest first (the UTF-32-LE mark starts with the UTF-16-LE one).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)

#: Control characters that plain text may contain.
_TEXT_CONTROLS = frozenset("\t\n\r\f\v")
#: Non-ASCII characters a cp1252 (or Latin-1) French article may contain: French letters, the other
#: Latin-1 letters of foreign names (Icelandic thorn and eth excluded: they are what stray high bytes
#: such as 0xFE/0xF0 decode to), French typography and common symbols.
_CP1252_FRENCH = frozenset(
    "àâäçéèêëîïôöùûüÿæœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ"
    "áãåìíñòóõøúýÁÃÅÌÍÑÒÓÕØÚÝß"
    "«»“”‘’‚„–—…•·€£¥¢°§©®™ªº¹²³¼½¾µ¶±\u00a0\u00ad"
)
#: Letters of a cp1252 guess needed before it is trusted; a few bytes ("caf\xe9") are no evidence.
_CP1252_MIN_LETTERS = 20
#: Share of letters that must lie in the scripts of this pipeline (Latin, Greek, Cyrillic, Hebrew,
#: Arabic: below U+0800, plus Latin Extended Additional and Arabic presentation forms) for a
#: UTF-16/32 decode to be trusted.
_MIN_EXPECTED_SCRIPT_SHARE = 0.9
#: Control characters tolerated in valid UTF-8 (stray ESC, DOS EOF): at most this share of the text.
_MAX_CONTROL_SHARE = 0.01


def _magic_type(data: bytes) -> str | None:
    for signature, kind in _MAGIC:
        if data.startswith(signature):
            return kind
    return None


def _is_bad_control(char: str) -> bool:
    """C0 and C1 control characters (and DEL) other than the whitespace controls of plain text."""
    code = ord(char)
    return (code < 0x20 or 0x7F <= code <= 0x9F) and char not in _TEXT_CONTROLS


def _control_count(text: str) -> int:
    return sum(1 for char in text if _is_bad_control(char))


def _expected_script(char: str) -> bool:
    code = ord(char)
    return code < 0x0800 or 0x1E00 <= code <= 0x1EFF or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF


def _implausible_unicode(text: str) -> str | None:
    """Why a UTF-16/32 decode is not text (None when it is).

    Mis-decoded bytes (binary data that merely starts like a BOM, the wrong byte order) spread over
    the whole code space: controls, unassigned or private-use code points, and mostly CJK/Hangul
    letters. A French article with foreign names stays in the expected scripts.
    """
    for index, char in enumerate(text):
        if _is_bad_control(char):
            return f"control character U+{ord(char):04X} at char {index}"
        if unicodedata.category(char) in ("Cn", "Co", "Cs"):
            return f"unassigned or private-use code point U+{ord(char):04X} at char {index}"
    letters = [char for char in text if char.isalpha()]
    if letters:
        expected = sum(1 for char in letters if _expected_script(char))
        if expected / len(letters) < _MIN_EXPECTED_SCRIPT_SHARE:
            return f"only {expected} of {len(letters)} letters in the expected scripts"
    return None


def _cp1252_french(data: bytes) -> tuple[str | None, str]:
    """(text, "") when `data` reads as a cp1252 French article, else (None, why not)."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as err:
        return None, f"byte 0x{data[err.start]:02X} at {err.start} is undefined in cp1252"
    for index, char in enumerate(text):
        if _is_bad_control(char):
            return None, f"control character U+{ord(char):04X} at char {index}"
        if ord(char) > 0x7F and char not in _CP1252_FRENCH:
            byte = char.encode("cp1252")[0]
            return None, f"{char!r} (byte 0x{byte:02X}) at char {index} is not French text"
    letters = sum(1 for char in text if char.isalpha())
    if letters < _CP1252_MIN_LETTERS:
        return None, f"{letters} letters are too few to tell text from noise"
    return text, ""


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode article bytes; returns (text, encoding name). The rules, in order:

    1. A known binary signature at offset 0 (PNG, ZIP, GZIP, PDF, JPEG, GIF, xz, 7z, ELF)
       -> `binary_content`, detail names the type.
    2. A byte-order mark decides the encoding: UTF-32 (LE/BE), UTF-8 (`utf-8-sig`), UTF-16 (LE/BE);
       the mark is dropped. Bytes that do not decode -> `invalid_utf8` (the reason keeps its
       historical name; it means "not decodable"). After a UTF-8 BOM, rules 3-4 apply. A UTF-16/32
       decode must also look like text (`_implausible_unicode`: no control, unassigned or
       private-use character, >= 90 % of letters in Latin/Greek/Cyrillic/Hebrew/Arabic), else
       `binary_content`: a binary file can start with FF FE by chance, and what it decodes to is
       mostly CJK noise. Consequence: CJK text in UTF-16 is refused (this pipeline reads French).
    3. No BOM: a NUL byte -> `binary_content` (only UTF-16/32, handled above, has NULs in text).
    4. Strict UTF-8 -> `utf-8`, unless more than 1 % of the characters are controls other than
       \t \n \r \f \v (`binary_content`).
    5. Not UTF-8: the legacy fallback `cp1252` (a superset of Latin-1's printable range, so Latin-1
       files decode identically) is accepted only when the strict cp1252 decode has no control
       character except \t \n \r \f \v, every non-ASCII character is a French/Latin-1 letter or
       French typography (`_CP1252_FRENCH`), and there are at least 20 letters. Anything else ->
       `invalid_utf8`, with the byte offset of the UTF-8 error and why cp1252 was refused.

    Why so strict: a wrong guess silently corrupts every downstream table; an undecodable file goes
    to `rejected/` with a precise reason so an operator can look at it. Valid UTF-8 is never
    second-guessed (random bytes are almost never valid UTF-8, legacy French text almost never is).
    """
    kind = _magic_type(data)
    if kind is not None:
        raise RejectInput("binary_content", f"{kind} file signature at offset 0")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_with_bom(data, bom, encoding)
    if _NUL in data:
        raise RejectInput("binary_content", f"NUL byte at offset {data.index(_NUL)}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        utf8_error = f"{err.reason} at byte {err.start}"
    else:
        return _not_binary(text), "utf-8"
    text, why_not = _cp1252_french(data)
    if text is None:
        raise RejectInput("invalid_utf8", f"{utf8_error}; not cp1252 French text: {why_not}")
    return text, "cp1252"


def _not_binary(text: str) -> str:
    """`text` itself, unless its share of control characters says it is binary data after all."""
    controls = _control_count(text)
    if controls > max(1, len(text) * _MAX_CONTROL_SHARE):
        raise RejectInput("binary_content", f"{controls} control characters in {len(text)}")
    return text


def _decode_with_bom(data: bytes, bom: bytes, encoding: str) -> tuple[str, str]:
    """Decode after a byte-order mark (rule 2 of `decode_text`)."""
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        text = data[len(bom) :].decode(codec)
    except UnicodeDecodeError as err:
        raise RejectInput(
            "invalid_utf8", f"{encoding} BOM, but {err.reason} at byte {err.start + len(bom)}"
        ) from None
    if encoding == "utf-8-sig":
        if _NUL in data:
            raise RejectInput("binary_content", f"NUL byte at offset {data.index(_NUL)}")
        return _not_binary(text), encoding
    why_not = _implausible_unicode(text)
    if why_not is not None:
        raise RejectInput("binary_content", f"{encoding} BOM, but not text: {why_not}")
    return text, encoding


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


def special_file(path: str) -> str | None:
    """What a local path is when it is not a regular file (a FIFO, socket or device, which opening
    would block on or stream forever; a directory; a dangling symlink), else None. Paths of other
    filesystems are always files (object stores have nothing else)."""
    if "://" in path:
        return None
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "a dangling symlink" if os.path.islink(path) else None  # gone since the match: read fails
    except OSError as error:
        return f"not readable ({error.strerror})"
    if stat.S_ISREG(mode):
        return None
    kinds = {stat.S_ISDIR: "a directory", stat.S_ISFIFO: "a FIFO", stat.S_ISSOCK: "a socket",
             stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device"}  # fmt: skip
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


#: What Beam's match drops without a word: it lists files only, and skips those it cannot stat.
UNLISTED_KINDS = ("a directory", "a dangling symlink")


def unlisted_matches(patterns: Iterable[str]) -> list[tuple[str, str]]:
    """(path, kind) of the local entries that match `patterns` but that Beam's match drops
    (`UNLISTED_KINDS`, as `special_file` names them), each once. They become `not_a_regular_file`
    rejections, so every match is accounted for. A folder given as input: its subfolders are not
    inputs."""
    found: dict[str, str] = {}
    for pattern in patterns:
        if "://" in pattern:
            continue
        folder = pattern.endswith("/" + FOLDER_FILES)
        for path in glob.glob(pattern, recursive=True):
            kind = special_file(path)
            if kind in UNLISTED_KINDS and not (folder and kind == "a directory"):
                found[path] = kind
    return sorted(found.items())


def read_bounded(readable: fileio.ReadableFile, path: str, limit: int) -> bytes:
    """At most `limit + 1` bytes of a file's content, gunzipped when its name ends in `.gz`.

    Why Python's `gzip` and not Beam's `CompressionTypes.AUTO`: Beam's CompressedFile returns the
    decompressed prefix of a truncated `.gz` without any error (Beam 2.77: half an article would be
    ingested as a whole one), while `gzip.GzipFile` raises EOFError at a missing end-of-stream marker
    and checks the CRC, so a damaged archive is rejected as `unreadable`. Reading `limit + 1` bytes
    bounds memory, also for a gzip bomb.
    """
    with readable.open(compression_type=CompressionTypes.UNCOMPRESSED) as raw:
        if not path.lower().endswith(".gz"):
            return raw.read(limit + 1)
        with gzip.GzipFile(fileobj=raw, mode="rb") as handle:
            return handle.read(limit + 1)


class _ParseFile(beam.DoFn):
    """Read one matched file (decompressing .gz by extension) and parse it; failures go to `rejected`.

    Counters: `files_read` per file, `records_read` per input record (a text file, or a non-blank line
    of a JSON Lines file): records read = documents + skipped + rejected.
    """

    def __init__(self, config: ReadConfig) -> None:
        self._config = config
        self._read = Metrics.counter("newsbeam", "files_read")
        self._records = Metrics.counter("newsbeam", "records_read")
        self._parsed = Metrics.counter("newsbeam", "parsed")
        self._rejected = Metrics.counter("newsbeam", "rejected")

    def _reject(
        self, source: str, reason: str, detail: str | None, size: int | None
    ) -> beam.pvalue.TaggedOutput:
        self._rejected.inc()
        Metrics.counter("newsbeam", f"rejected_{reason}").inc()
        return beam.pvalue.TaggedOutput(REJECTED_TAG, Rejected(source, reason, detail, size))

    def process(self, readable: fileio.ReadableFile) -> Iterator:
        path = readable.metadata.path
        size = readable.metadata.size_in_bytes
        self._read.inc()
        kind = special_file(path)
        if kind is not None:  # never opened: a FIFO would block the run forever
            self._records.inc()
            yield self._reject(path, "not_a_regular_file", f"{path} is {kind}", None)
            return
        if is_jsonl(path):
            yield from self._records_of(readable, path, size)
            return
        self._records.inc()
        try:
            if not is_supported(path):
                raise RejectInput("unsupported_extension", f"expected one of {', '.join(SUPPORTED_SUFFIXES)}")
            limit = self._config.max_document_bytes
            data = read_bounded(readable, path, limit)
            if len(data) > limit:
                stored = "compressed " if path.lower().endswith(".gz") else ""
                raise RejectInput("too_large", f"more than {limit} bytes ({stored}file: {size} bytes)")
            doc = parse_document(path, data, self._config)
        except RejectInput as err:
            yield self._reject(path, err.reason, err.detail, size)
            return
        except (OSError, EOFError, ValueError) as err:  # truncated gzip, unreadable file, ...
            yield self._reject(path, "unreadable", f"{type(err).__name__}: {err}"[:500], size)
            return
        self._parsed.inc()
        yield doc

    def _records_of(self, readable: fileio.ReadableFile, path: str, size: int) -> Iterator:
        """Every line of a JSON Lines file as a Document or a Rejected record (`path#L<line>`).

        A file that breaks off (truncated gzip, read error) keeps the records before the break and adds
        one `unreadable` record for the rest; a file with no record at all is one `empty` record.
        """
        limit = self._config.max_document_bytes
        seen = 0
        try:
            with readable.open(compression_type=CompressionTypes.UNCOMPRESSED) as raw:
                handle = gzip.GzipFile(fileobj=raw, mode="rb") if path.lower().endswith(".gz") else raw
                for line_no, line, line_size in iter_lines(handle, limit):
                    seen += 1
                    self._records.inc()
                    if line is None:
                        detail = f"line {line_no}: more than {limit} bytes ({line_size} bytes)"
                        yield self._reject(f"{path}#L{line_no}", "too_large", detail, line_size)
                        continue
                    try:
                        doc = parse_record(path, line_no, line, self._config.jsonl)
                    except RejectInput as err:
                        yield self._reject(f"{path}#L{line_no}", err.reason, err.detail, line_size)
                        continue
                    self._parsed.inc()
                    yield doc
        except (OSError, EOFError, ValueError) as err:
            self._records.inc()
            detail = f"after {seen} record(s): {type(err).__name__}: {err}"[:500]
            yield self._reject(path, "unreadable", detail, size)
            return
        if seen == 0:
            self._records.inc()
            yield self._reject(path, "empty", "no JSON Lines record in the file", size)


@dataclass(frozen=True)
class ReadOutputs:
    """What reading gives: documents, and rejections with their reasons."""

    documents: beam.PCollection
    rejected: beam.PCollection


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


class _RejectUnlisted(beam.DoFn):
    """The patterns' directories and dangling symlinks (`unlisted_matches`) as rejections, counted
    as files and records read like any other match."""

    def process(self, patterns: tuple[str, ...]) -> Iterator[Rejected]:
        for path, kind in unlisted_matches(patterns):
            for name in ("files_read", "records_read", "rejected", "rejected_not_a_regular_file"):
                Metrics.counter("newsbeam", name).inc()
            yield Rejected(path, "not_a_regular_file", f"{path} is {kind}", None)


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

    def expand(self, pbegin: beam.pvalue.PBegin) -> ReadOutputs:
        patterns = pbegin | "Patterns" >> beam.Create(self._patterns)
        parsed = (
            patterns
            | "Match" >> fileio.MatchAll(empty_match_treatment=fileio.EmptyMatchTreatment.ALLOW)
            | "KeyByPath" >> beam.Map(lambda metadata: (metadata.path, metadata))
            | "GroupByPath" >> beam.GroupByKey()  # a file matched by two globs is read once;
            | "OnePerPath" >> beam.MapTuple(lambda _, copies: next(iter(copies)))  # also spreads reads
            | "ParseFiles" >> ParseFiles(self._config)
        )
        unlisted = (  # all patterns in one element: an entry matched by two globs is rejected once
            pbegin
            | "AllPatterns" >> beam.Create([tuple(self._patterns)])
            | "Unlisted" >> beam.ParDo(_RejectUnlisted())
        )
        rejected = (parsed[REJECTED_TAG], unlisted) | "AllRejected" >> beam.Flatten()
        return ReadOutputs(parsed.documents, rejected)
