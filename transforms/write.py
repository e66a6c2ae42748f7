"""Write rows into hive-partitioned Parquet datasets through Beam's filesystems.

Why not `WriteToParquet` or `fileio.WriteToFiles`: the first has no partition columns, and the
second does not create partition folders on the local filesystem at finalize time (Beam 2.77; see
shared/BEAM-NOTES.md). This sink follows the same temp-then-finalize protocol by hand:

1. rows are grouped by (table, partition, shard) and each group is written, sorted by its
   primary key, as one Parquet file under `DIR/_temporary/<run_id>/<window>/`;
2. once every file exists (a global combine waits for all of them), `Finalize` renames each into
   `DIR/<table>/pub_month=YYYY-MM/part-<digest>.parquet` and removes the temporary folder.

The per-document tables (documents, segments, dates and their state) skip step 1's shuffle: the
enrichment step writes its rows where it makes them, one *piece* per table per bundle
(`PieceWriter`, under the same temporary folder), and `Finalize` first merges the pieces into
exactly the files step 1 would have written from the same rows (`merge_pieces`). Why: on Beam's
local runner every row batch that crosses a stage boundary travels through the runner process
twice; at 10k documents that shuffle was about a tenth of a run (benchmarks/README.md).

A reader therefore never sees a partial file, and folders whose names start with `_` are
ignored by pyarrow, DuckDB, Polars and Spark. File names are a digest of the rows' primary keys:
rewriting the same rows replaces the same file (idempotent reruns), and the layout does not
depend on run order. Everything goes through `FileSystems`, so gs:// or s3:// outputs work too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import posixpath
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.utils.windowed_value import WindowedValue

from schemas import NULL_PARTITION, PARTITION_COLUMN, PARTITIONED_TABLES, dataset_schema, schema_for
from schemas.tables import PRIMARY_KEYS, SNAPSHOT_TABLES, TABLE_DIRS

TEMP_DIRNAME = "_temporary"
#: Where `PieceWriter` puts its pieces, inside a run's (or window's) temporary folder.
PIECES_DIRNAME = "_pieces"
PENDING_DIRNAME = "_runs/pending"
SNAPSHOT_FILENAME = "part-snapshot.parquet"
#: The file that makes a table with no rows yet readable (`ensure_every_table`).
EMPTY_FILENAME = "part-empty.parquet"
#: The tables analysts read: each exists after every run, empty or not (state tables are internal).
PUBLIC_TABLES = tuple(t for t, folder in TABLE_DIRS.items() if not folder.startswith("_"))
#: Columns with few distinct values: dictionary-encoded (compact uses the same list).
DICTIONARY_COLUMNS = (
    "doc_id", "source", "label", "granularity", "kind", "duplicate_kind", "language",
    "pub_date_source", "pub_date_granularity", "encoding", "run_id", "reason",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class WrittenFile:
    """A Parquet file written to its temporary path, waiting for finalize."""

    table: str
    partition: str | None
    temp_path: str
    final_path: str
    rows: int
    temp_root: str  # the run's (or, streaming, the window's) temporary folder


def partition_value(pub_month: str | None) -> str:
    """The hive folder value of a month; only validated `YYYY-MM` strings reach here."""
    return pub_month if pub_month else NULL_PARTITION


def sort_by_key(table: str, rows_table: pa.Table) -> pa.Table:
    """The rows in primary-key order (Arrow compares strings by UTF-8 bytes, i.e. by code point,
    as Python does, so the order and the file digest are those of a Python sort)."""
    return rows_table.sort_by([(column, "ascending") for column in PRIMARY_KEYS[table]])


def file_digest(table: str, rows_table: pa.Table) -> str:
    """Digest of the primary keys of a file's rows: the same rows always get the same name."""
    digest = hashlib.blake2b(table.encode(), digest_size=8)
    for column in PRIMARY_KEYS[table]:
        for value in rows_table.column(column).to_pylist():
            digest.update(str(value).encode())
            digest.update(b"\x1f")
    return digest.hexdigest()


def relative_path(table: str, partition: str | None, digest: str) -> str:
    folder = TABLE_DIRS[table]
    if table in SNAPSHOT_TABLES:  # one fixed name: the new snapshot replaces the old in one rename
        return f"{folder}/{SNAPSHOT_FILENAME}"
    if table in PARTITIONED_TABLES:
        return f"{folder}/{PARTITION_COLUMN}={partition_value(partition)}/part-{digest}.parquet"
    return f"{folder}/part-{digest}.parquet"


def write_parquet(path: str, rows_table: pa.Table) -> None:
    """Write one Parquet file through Beam's filesystems (zstd, statistics, dictionary columns)."""
    dictionary = [c for c in DICTIONARY_COLUMNS if c in rows_table.column_names]
    with FileSystems.create(path) as handle:
        pq.write_table(
            rows_table,
            handle,
            compression="zstd",
            use_dictionary=dictionary,
            write_statistics=True,
            row_group_size=128 * 1024,
        )


class _WriteGroup(beam.DoFn):
    def __init__(self, output_dir: str, run_id: str) -> None:
        self._output_dir = output_dir
        self._run_id = run_id

    def process(
        self,
        element: tuple[tuple[str, str | None, int], pa.Table],
        window: object = beam.DoFn.WindowParam,
    ) -> Iterator[WrittenFile]:
        (table, partition, _shard), unsorted = element
        temp_root = posixpath.join(self._output_dir, TEMP_DIRNAME, self._run_id, window_tag(window))
        yield write_temp_file(self._output_dir, temp_root, table, partition, unsorted)


def write_temp_file(
    output_dir: str, temp_root: str, table: str, partition: str | None, unsorted: pa.Table
) -> WrittenFile:
    """One file's rows, sorted by key, written under `temp_root` at the path finalize moves it to."""
    rows_table = sort_by_key(table, unsorted)
    rel = relative_path(table, partition, file_digest(table, rows_table))
    temp_path = posixpath.join(temp_root, rel)
    write_parquet(temp_path, rows_table)
    Metrics.counter("newsbeam", f"rows_{table}").inc(rows_table.num_rows)
    final_path = posixpath.join(output_dir, rel)
    return WrittenFile(table, partition, temp_path, final_path, rows_table.num_rows, temp_root)


@dataclass(frozen=True, slots=True)
class Piece:
    """Rows of one table written by the step that made them (`PieceWriter`), with their
    `pub_month`; `merge_pieces` turns the pieces of a run or window into the table's files."""

    table: str
    path: str
    rows: int
    temp_root: str


class PieceWriter:
    """Collects a DoFn's rows per window and table during a bundle, and writes them at its end as
    one Parquet piece per (window, table) under the window's temporary folder.

    Use: `start()` in `start_bundle`, `add()` in `process` (yielding what it gives: the window's
    pieces once `max_rows` rows are waiting, so a large bundle does not hold all its rows), and
    yield what `flush()` gives in `finish_bundle`. A bundle that fails leaves pieces nobody names;
    the temporary folder goes at finalize (or at the next run's start, `runner.clean_stale_temporary`).
    """

    def __init__(self, output_dir: str, run_id: str, max_rows: int = 100_000) -> None:
        self._output_dir = output_dir.rstrip("/")
        self._run_id = run_id
        self._max_rows = max_rows
        self._buffers: dict[object, dict[str, list[dict]]] = {}
        self._waiting: dict[object, int] = {}

    def start(self) -> None:
        self._buffers, self._waiting = {}, {}

    def add(self, window: object, table: str, rows: list[dict]) -> list[WindowedValue]:
        """Buffer `rows`; returns the pieces written now (the caller must emit them), if any."""
        self._buffers.setdefault(window, {}).setdefault(table, []).extend(rows)
        self._waiting[window] = self._waiting.get(window, 0) + len(rows)
        return list(self.flush(window)) if self._waiting[window] >= self._max_rows else []

    def flush(self, only: object | None = None) -> Iterator[WindowedValue]:
        """The pieces written (every window's, or `only` this one's), as windowed values (a
        `finish_bundle` output needs its window)."""
        if only is None:
            buffers, self._buffers, self._waiting = self._buffers, {}, {}
        else:
            buffers = {only: self._buffers.pop(only, {})}
            self._waiting.pop(only, None)
        for window, tables in buffers.items():
            temp_root = posixpath.join(self._output_dir, TEMP_DIRNAME, self._run_id, window_tag(window))
            name = f"{uuid.uuid4().hex}.parquet"
            for table, rows in tables.items():
                path = posixpath.join(temp_root, PIECES_DIRNAME, table, name)
                with FileSystems.create(path) as handle:  # read once, at finalize: fast, not small
                    pq.write_table(
                        pa.Table.from_pylist(rows, schema=dataset_schema(table)), handle, compression="lz4"
                    )
                yield WindowedValue(
                    Piece(table, path, len(rows), temp_root), window.max_timestamp(), (window,)
                )


def merge_pieces(output_dir: str, pieces: Iterable[Piece], shards: int = 1) -> list[WrittenFile]:
    """The pieces of each (window, table) as the files `WriteTables` writes from the same rows:
    split by partition and shard, sorted by primary key, named by the digest of their keys."""
    groups: dict[tuple[str, str], list[str]] = {}
    for piece in pieces:
        groups.setdefault((piece.temp_root, piece.table), []).append(piece.path)
    written: list[WrittenFile] = []
    for (temp_root, table), paths in sorted(groups.items()):
        parts = []
        for path in sorted(paths):
            with FileSystems.open(path) as handle:
                parts.append(pq.read_table(handle, schema=dataset_schema(table)))
        for (_, partition, _), rows in split_by_file(table, pa.concat_tables(parts), shards):
            written.append(write_temp_file(output_dir, temp_root, table, partition, rows))
    return written


def split_by_file(table: str, rows: pa.Table, shards: int) -> Iterator[tuple[FileKey, pa.Table]]:
    """Rows of one table (with `pub_month` when partitioned) -> one Arrow table per file (partition,
    then shard by a hash of the primary key), without the partition column: it is the folder.
    The one split of both write paths (`rows_by_file`, `merge_pieces`)."""
    columns = schema_for(table).names
    shards = 1 if table in SNAPSHOT_TABLES else shards  # a snapshot is one file with a fixed name
    if table in PARTITIONED_TABLES:
        months = rows.column(PARTITION_COLUMN)
        by_partition = [
            (month, rows.filter(pc.equal(months, month) if month is not None else pc.is_null(months)))
            for month in sorted(pc.unique(months).to_pylist(), key=lambda m: (m is None, m or ""))
        ]
    else:
        by_partition = [(None, rows)]
    for partition, part in by_partition:
        part = part.select(columns)
        if shards <= 1:
            yield (table, partition, 0), part
            continue
        keys = zip(*(part.column(c).to_pylist() for c in PRIMARY_KEYS[table]), strict=True)
        shard_of = pa.array([zlib.crc32(repr(tuple(key)).encode()) % shards for key in keys], pa.int64())
        for shard in sorted(set(shard_of.to_pylist())):
            yield (table, partition, shard), part.filter(pc.equal(shard_of, shard))


#: Order of the renames at finalize. Data first; then the cross-run state, `_state/documents` last
#: of all: it is what marks a document as ingested (with the pending record, see `finalize`).
COMMIT_ORDER = {"state_segments": 1, "state_entity_names": 1, "state_documents": 2}


def window_tag(window: object) -> str:
    """Temporary sub-folder of a window: `all` in batch (global window), the window's end in streaming."""
    end = getattr(window, "end", None)
    if isinstance(window, beam.transforms.window.GlobalWindow) or end is None:
        return "all"
    return f"w{int(end.micros)}"


def pending_path(output_dir: str, temp_root: str) -> str:
    """The intent record of one finalize: `DIR/_runs/pending/<run>-<window>.json`."""
    run, window = temp_root.rstrip("/").split("/")[-2:]
    return posixpath.join(output_dir, PENDING_DIRNAME, f"{run}-{window}.json")


def finalize(output_dir: str, files: list[WrittenFile], table_format: str = "parquet") -> list[WrittenFile]:
    """Move every temporary file to its final path, commit the Delta logs (`table_format` "delta",
    or whenever the output already keeps them), then drop the temporary folder(s).

    All-or-nothing across a crash: before the first rename, the list of final paths is written to
    `DIR/_runs/pending/`; it is removed after the last. A run killed in between leaves that record,
    and the next run (holding the output lock) deletes the files it lists (`roll_back_pending`), so
    a killed run's documents are neither half-visible nor marked as ingested, and are ingested
    again whole. Renaming onto an existing name replaces it (same name = same rows).
    """
    ordered = sorted(files, key=lambda f: (COMMIT_ORDER.get(f.table, 0), f.final_path))
    intents = {}
    for temp_root in sorted({f.temp_root for f in ordered}):
        listed = [
            f.final_path for f in ordered if f.temp_root == temp_root and f.table not in SNAPSHOT_TABLES
        ]
        intents[temp_root] = pending_path(output_dir, temp_root)
        _write_json(intents[temp_root], listed)
    for written in ordered:
        parent = posixpath.dirname(written.final_path)
        if not FileSystems.exists(parent):
            with contextlib.suppress(OSError):  # created meanwhile by a concurrent finalize
                FileSystems.mkdirs(parent)
        # A rename onto an existing name replaces it in one step (POSIX rename; copy-over on object
        # stores), so a reader sees the old file or the new one, never neither nor both.
        FileSystems.rename([written.temp_path], [written.final_path])
    _drop_stale_snapshots(output_dir, ordered)
    ensure_every_table(output_dir)
    versions = _commit_logs(output_dir, ordered, table_format, sorted(intents))
    for temp_root, intent in intents.items():
        _log_window(output_dir, temp_root, [f for f in ordered if f.temp_root == temp_root], versions)
        FileSystems.delete([intent])  # committed
        if FileSystems.exists(temp_root):
            FileSystems.delete([temp_root])
        _delete_if_empty(posixpath.dirname(temp_root))  # the run's folder, once its last window is done
    _delete_if_empty(posixpath.join(output_dir, TEMP_DIRNAME))
    _delete_if_empty(posixpath.join(output_dir, PENDING_DIRNAME))
    return ordered


def _commit_logs(
    output_dir: str, written: list[WrittenFile], table_format: str, temp_roots: list[str]
) -> dict[str, int]:
    """One Delta commit per public table for this finalize (`delta_log.commit_all`), after every
    file is in place and before the intent record goes: a crash before it leaves the log as it was
    and the files to roll back; a crash after it, files the rollback removes in a commit of its own."""
    from transforms import delta_log

    if "://" in output_dir or not (table_format == "delta" or delta_log.has_log(output_dir)):
        return {}
    run, window = temp_roots[0].rstrip("/").split("/")[-2:] if temp_roots else ("unknown", "all")
    rewritten: dict[str, list[str]] = {}
    for f in written:
        if f.table in delta_log.DELTA_TABLES:
            folder = posixpath.join(output_dir, TABLE_DIRS[f.table])
            rewritten.setdefault(f.table, []).append(posixpath.relpath(f.final_path, folder))
    operation = "run" if window == "all" else f"window {window}"
    return delta_log.commit_all(output_dir, run, operation, rewritten)


def empty_table(table: str) -> pa.Table:
    """No rows, the table's schema; a partitioned table's placeholder carries the partition column
    itself (string), since it has no partition folder to give it."""
    return dataset_schema(table).empty_table()


def _table_files(output_dir: str, table: str) -> list[str]:
    folder = posixpath.join(output_dir, TABLE_DIRS[table])
    patterns = [f"{folder}/*.parquet"] + ([f"{folder}/*/*.parquet"] if table in PARTITIONED_TABLES else [])
    try:
        return [m.path for result in FileSystems.match(patterns) for m in result.metadata_list]
    except Exception:  # no such folder yet, whatever the filesystem raises for it
        return []


def ensure_every_table(output_dir: str) -> None:
    """Every public table readable by any engine after every commit, even with no rows: a table
    with no file gets `part-empty.parquet` (its schema, no rows), removed again once the table has
    real files.

    Why: `spark.read.parquet("out/rejected")`, DuckDB, Polars and pandas all fail on a missing
    folder, and a run that rejected nothing would otherwise leave none.
    """
    for table in PUBLIC_TABLES:
        files = _table_files(output_dir, table)
        placeholder = posixpath.join(output_dir, TABLE_DIRS[table], EMPTY_FILENAME)
        real = [f for f in files if posixpath.basename(f) != EMPTY_FILENAME]
        if not files:
            write_parquet(placeholder, empty_table(table))
        elif real and len(real) < len(files):
            FileSystems.delete([placeholder])


def window_log_path(output_dir: str, run_id: str, window: str) -> str:
    """Commit record of one window of a stream: `DIR/_runs/<run>.windows/<window>.json`."""
    return posixpath.join(output_dir, "_runs", f"{run_id}.windows", f"{window}.json")


def _log_window(
    output_dir: str, temp_root: str, files: list[WrittenFile], versions: dict[str, int] | None = None
) -> None:
    """A stream's progress, one small file per committed window (object stores cannot append):
    rows per table and when. Batch runs (window `all`) have their manifest instead."""
    run, window = temp_root.rstrip("/").split("/")[-2:]
    if window == "all":
        return
    rows: dict[str, int] = {}
    for written in files:
        rows[written.table] = rows.get(written.table, 0) + written.rows
    record = {
        "run_id": run,
        "window_end": dt.datetime.fromtimestamp(int(window[1:]) / 1e6, dt.UTC).isoformat(),
        "committed_at": dt.datetime.now(dt.UTC).isoformat(),
        "files": len(files),
        "rows": dict(sorted(rows.items())),
        "delta_versions": versions or {},
    }
    _write_json(window_log_path(output_dir, run, window), record)


def _write_json(path: str, value: object) -> None:
    parent = posixpath.dirname(path)
    if not FileSystems.exists(parent):
        with contextlib.suppress(OSError):
            FileSystems.mkdirs(parent)
    with FileSystems.create(path) as handle:
        handle.write(json.dumps(value).encode())


def roll_back_pending(output_dir: str) -> list[str]:
    """Delete the files of finalizes that never completed (a killed run); returns what was removed.

    Only call while holding the output lock: then no live run is finalizing.
    """
    pattern = posixpath.join(output_dir, PENDING_DIRNAME, "*.json")
    removed: list[str] = []
    try:
        intents = [m.path for m in FileSystems.match([pattern])[0].metadata_list]
    except Exception:  # no pending folder: nothing to roll back, whatever the filesystem raises
        return removed
    for intent in sorted(intents):
        with FileSystems.open(intent) as handle:
            listed = json.loads(handle.read().decode() or "[]")
        present = [path for path in listed if FileSystems.exists(path)]
        if present:
            FileSystems.delete(present)
            removed.extend(present)
        FileSystems.delete([intent])
    return removed


def _delete_if_empty(folder: str) -> None:
    if FileSystems.exists(folder) and not FileSystems.match([folder + "/*"])[0].metadata_list:
        FileSystems.delete([folder])


def _drop_stale_snapshots(output_dir: str, written: list[WrittenFile]) -> None:
    """Snapshot tables (rewritten whole by each run) keep only this run's files."""
    for table in sorted({f.table for f in written} & SNAPSHOT_TABLES):
        keep = {f.final_path for f in written if f.table == table}
        pattern = posixpath.join(output_dir, TABLE_DIRS[table], "*.parquet")
        stale = [m.path for m in FileSystems.match([pattern])[0].metadata_list if m.path not in keep]
        if stale:
            FileSystems.delete(stale)


FileKey = tuple[str, str | None, int]  # (table, partition, shard)


def rows_by_file(element: tuple[str, list[dict]], shards: int) -> Iterator[tuple[FileKey, pa.Table]]:
    """A batch of one table's rows -> one Arrow table per file it goes to (`split_by_file`).

    Why Arrow here: the conversion runs where the rows are made, in parallel, and an Arrow table
    crosses the shuffle to the writer as a few buffers instead of thousands of pickled dicts.
    """
    table, rows = element
    yield from split_by_file(table, pa.Table.from_pylist(rows, schema=dataset_schema(table)), shards)


class ConcatTables(beam.CombineFn):
    """The Arrow tables of one file, concatenated (same schema: `schema_for(table)`)."""

    def create_accumulator(self) -> list[pa.Table]:
        return []

    def add_input(self, accumulator: list[pa.Table], element: pa.Table) -> list[pa.Table]:
        accumulator.append(element)
        return accumulator

    def merge_accumulators(self, accumulators: Iterable[list[pa.Table]]) -> list[pa.Table]:
        return [part for accumulator in accumulators for part in accumulator]

    def extract_output(self, accumulator: list[pa.Table]) -> pa.Table:
        return pa.concat_tables(accumulator).combine_chunks()


class WriteTables(beam.PTransform):
    """(table, rows) batches -> Parquet datasets under `output_dir`; emits the finalized files.

    Why batches of rows rather than one element per row: rows are the largest stream of a run (about
    100 per document), and Beam's local runner pays per element at every stage boundary; producers
    emit the rows of a document, or of a batch of documents, as one element.

    Rows of partitioned tables carry their `pub_month` (None for undated documents). Each
    (table, partition) becomes `shards` files at most (a snapshot table one); rows are spread by a
    hash of their primary key, so the assignment is deterministic.
    """

    def __init__(
        self,
        output_dir: str,
        run_id: str,
        shards: int = 1,
        table_format: str = "delta",
        pieces: beam.PCollection | None = None,
    ) -> None:
        super().__init__()
        self._output_dir = output_dir.rstrip("/")
        self._run_id = run_id
        self._shards = max(1, shards)
        self._table_format = table_format
        self._pieces = pieces  # written where their rows were made (`PieceWriter`), same windows

    def expand(self, rows: beam.PCollection) -> beam.PCollection:
        output_dir, run_id, table_format = self._output_dir, self._run_id, self._table_format
        shards = self._shards
        written = (
            rows
            | "KeyByFile" >> beam.FlatMap(rows_by_file, shards)
            # A combine, not a GroupByKey: Beam lifts it, so each bundle ships one Arrow table per
            # file it saw.
            | "GroupByFile" >> beam.CombinePerKey(ConcatTables())
            | "WriteTemp" >> beam.ParDo(_WriteGroup(output_dir, run_id))
        )
        if self._pieces is not None:
            written = (written, self._pieces) | "WithPieces" >> beam.Flatten()
        return (
            written
            # Finalize waits for every file and piece of the run (batch) or of the window (streaming).
            | "AllWritten" >> beam.CombineGlobally(beam.combiners.ToListCombineFn()).without_defaults()
            | "Finalize" >> beam.Map(finalize_written, output_dir, table_format, shards)
        )


def finalize_written(
    items: list[WrittenFile | Piece], output_dir: str, table_format: str, shards: int = 1
) -> list[WrittenFile]:
    """`finalize` of a run's (or window's) files, the pieces merged into files first."""
    files = [item for item in items if isinstance(item, WrittenFile)]
    files += merge_pieces(output_dir, [item for item in items if isinstance(item, Piece)], shards)
    return finalize(output_dir, files, table_format)
