"""Write rows into hive-partitioned Parquet datasets through Beam's filesystems.

Why not `WriteToParquet` or `fileio.WriteToFiles`: the first has no partition columns, and the
second does not create partition folders on the local filesystem at finalize time (Beam 2.77; see
shared/BEAM-NOTES.md). This sink follows the same temp-then-finalize protocol by hand:

1. rows are grouped by (table, partition, shard) and each group is written, sorted by its
   primary key, as one Parquet file under `DIR/_temporary/<run_id>/<window>/`;
2. once every file exists (a global combine waits for all of them), `Finalize` renames each into
   `DIR/<table>/pub_month=YYYY-MM/part-<digest>.parquet` and removes the temporary folder.

A reader therefore never sees a partial file, and folders whose names start with `_` are
ignored by pyarrow, DuckDB, Polars and Spark. File names are a digest of the rows' primary keys:
rewriting the same rows replaces the same file (idempotent reruns), and the layout does not
depend on run order. Everything goes through `FileSystems`, so gs:// or s3:// outputs work too.
"""

from __future__ import annotations

import contextlib
import hashlib
import posixpath
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from schemas import NULL_PARTITION, PARTITION_COLUMN, PARTITIONED_TABLES, schema_for
from schemas.tables import PRIMARY_KEYS, SNAPSHOT_TABLES, TABLE_DIRS

TEMP_DIRNAME = "_temporary"
#: Columns with few distinct values: dictionary-encoded.
_DICTIONARY_COLUMNS = (
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


def primary_key(table: str, row: dict) -> tuple:
    return tuple(row[column] for column in PRIMARY_KEYS[table])


def rows_to_table(table: str, rows: Iterable[dict]) -> pa.Table:
    """Rows (dicts) -> Arrow table with the table's declared schema, sorted by primary key."""
    ordered = sorted(rows, key=lambda row: primary_key(table, row))
    return pa.Table.from_pylist(ordered, schema=schema_for(table))


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
    if table in PARTITIONED_TABLES:
        return f"{folder}/{PARTITION_COLUMN}={partition_value(partition)}/part-{digest}.parquet"
    return f"{folder}/part-{digest}.parquet"


def write_parquet(path: str, rows_table: pa.Table) -> None:
    """Write one Parquet file through Beam's filesystems (zstd, statistics, dictionary columns)."""
    dictionary = [c for c in _DICTIONARY_COLUMNS if c in rows_table.column_names]
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
        element: tuple[tuple[str, str | None, int], Iterable[dict]],
        window: object = beam.DoFn.WindowParam,
    ) -> Iterator[WrittenFile]:
        (table, partition, _shard), rows = element
        rows_table = rows_to_table(table, rows)
        rel = relative_path(table, partition, file_digest(table, rows_table))
        temp_root = posixpath.join(self._output_dir, TEMP_DIRNAME, self._run_id, window_tag(window))
        temp_path = posixpath.join(temp_root, rel)
        write_parquet(temp_path, rows_table)
        Metrics.counter("newsbeam", f"rows_{table}").inc(rows_table.num_rows)
        final_path = posixpath.join(self._output_dir, rel)
        yield WrittenFile(table, partition, temp_path, final_path, rows_table.num_rows, temp_root)


def window_tag(window: object) -> str:
    """Temporary sub-folder of a window: `all` in batch (global window), the window's end in streaming."""
    end = getattr(window, "end", None)
    if isinstance(window, beam.transforms.window.GlobalWindow) or end is None:
        return "all"
    return f"w{int(end.micros)}"


def finalize(output_dir: str, files: list[WrittenFile]) -> list[WrittenFile]:
    """Move every temporary file to its final path, then drop the temporary folder(s).

    Renaming an existing final file replaces it (same name = same rows), so finalize can be
    retried after a crash without duplicating rows.
    """
    # Data first, cross-run state last: if finalize dies half-way, the next run sees the documents
    # as not yet ingested and rewrites the same files (same rows, same names) instead of losing them.
    ordered = sorted(files, key=lambda f: (f.table.startswith("state_"), f.final_path))
    for written in ordered:
        parent = posixpath.dirname(written.final_path)
        if not FileSystems.exists(parent):
            with contextlib.suppress(OSError):  # created meanwhile by a concurrent finalize
                FileSystems.mkdirs(parent)
        if FileSystems.exists(written.final_path):
            FileSystems.delete([written.final_path])
        FileSystems.rename([written.temp_path], [written.final_path])
    _drop_stale_snapshots(output_dir, ordered)
    for temp_root in sorted({f.temp_root for f in ordered}):
        if FileSystems.exists(temp_root):
            FileSystems.delete([temp_root])
        _delete_if_empty(posixpath.dirname(temp_root))  # the run's folder, once its last window is done
    _delete_if_empty(posixpath.join(output_dir, TEMP_DIRNAME))
    return ordered


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


class WriteTables(beam.PTransform):
    """(table, row) pairs -> Parquet datasets under `output_dir`; emits the list of finalized files.

    Rows of partitioned tables carry their `pub_month` (None for undated documents). Each
    (table, partition) becomes `shards` files at most; rows are spread by a hash of their primary
    key, so the assignment is deterministic.
    """

    def __init__(self, output_dir: str, run_id: str, shards: int = 1) -> None:
        super().__init__()
        self._output_dir = output_dir.rstrip("/")
        self._run_id = run_id
        self._shards = max(1, shards)

    def expand(self, rows: beam.PCollection) -> beam.PCollection:
        shards = self._shards
        output_dir, run_id = self._output_dir, self._run_id

        def _key(item: tuple[str, dict]) -> tuple[tuple[str, str | None, int], dict]:
            table, row = item[0], dict(item[1])  # never mutate an element
            partition = row.pop(PARTITION_COLUMN, None) if table in PARTITIONED_TABLES else None
            shard = zlib.crc32(repr(primary_key(table, row)).encode()) % shards if shards > 1 else 0
            return (table, partition, shard), row

        return (
            rows
            | "KeyByFile" >> beam.Map(_key)
            | "GroupByFile" >> beam.GroupByKey()
            | "WriteTemp" >> beam.ParDo(_WriteGroup(output_dir, run_id))
            # Finalize waits for every file of the run (batch) or of the window (streaming).
            | "AllWritten" >> beam.CombineGlobally(beam.combiners.ToListCombineFn()).without_defaults()
            | "Finalize" >> beam.Map(lambda files: finalize(output_dir, files))
        )
