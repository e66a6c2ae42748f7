"""`newsbeam compact DIR`: rewrite every partition of every table into one file.

Why: each incremental run adds one file per table and month, so after months of small runs a
partition holds hundreds of tiny files and every query pays for opening them. Compaction merges
them into one file per partition with the same rows, sorted by primary key (so min/max statistics
prune well), the declared schema and metadata, zstd, and row groups sized for scans.

Protocol, per partition, while holding `DIR/_lock` (a run must not add files meanwhile):

1. read the partition's files, unify them to the declared schema (older files lacking a column get
   NULLs), sort by primary key;
2. write the new file under `DIR/_temporary/compact-<id>/` (ignored by readers: `_` prefix);
3. rename it into the partition folder (an atomic rename on one filesystem), then delete the old
   files. Between 3's rename and delete a reader may see both for a few milliseconds; the new
   file records the names it replaces (`newsbeam.compacted_from`), so if compaction dies right
   there, the next `compact` deletes the leftovers instead of merging them twice.

The new file is named like the writer names files (`part-<digest of the row keys>`), so
compacting a compacted dataset finds one correctly named, current-schema file per partition and
changes nothing (idempotent). A partition is merged in memory: one month of one table must fit in
RAM (months of news text do by far). Local paths only (atomic rename and the lock need a POSIX
filesystem); pyarrow alone, no Beam.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.analytics import Partition, iter_partitions, local_dir, parquet_file
from pipeline.command import DamagedFile
from pipeline.lock import RunLock
from schemas.tables import PRIMARY_KEYS, TABLES
from transforms import delta_log
from transforms.write import DICTIONARY_COLUMNS, EMPTY_FILENAME, TEMP_DIRNAME, file_digest

#: Key-value metadata of a compacted file: JSON list of the file names it replaced.
COMPACTED_FROM_KEY = "newsbeam.compacted_from"
#: Row groups of about this many uncompressed bytes: large enough for sequential scans, small enough
#: that DuckDB/Polars/Spark read row groups in parallel and skip them by statistics.
ROW_GROUP_BYTES = 64 * 1024 * 1024
MIN_ROW_GROUP_ROWS = 1024
MAX_ROW_GROUP_ROWS = 128 * 1024  # the writer's value, and about DuckDB's own row group size


@dataclass
class PartitionResult:
    """What compaction did to one partition."""

    partition: str  # e.g. 'documents/pub_month=2019-04', or 'rejected'
    files_before: int
    files_after: int
    rows: int
    action: str  # 'rewritten' | 'unchanged' | 'recovered' (leftovers of an interrupted compact removed)
    #: | 'skipped' (left as is: its files do not fit the declared schema, see `note`)
    note: str = ""


@dataclass
class CompactResult:
    """Summary of one `compact` call, printable or JSON."""

    run_id: str
    output: str
    partitions: list[PartitionResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def files_before(self) -> int:
        return sum(p.files_before for p in self.partitions)

    @property
    def files_after(self) -> int:
        return sum(p.files_after for p in self.partitions)

    @property
    def rewritten(self) -> int:
        return sum(p.action in ("rewritten", "recovered") for p in self.partitions)

    @property
    def skipped(self) -> list[PartitionResult]:
        """Partitions left untouched because a file cannot be read into the declared schema."""
        return [p for p in self.partitions if p.action == "skipped"]

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id,
            "output": self.output,
            "files_before": self.files_before,
            "files_after": self.files_after,
            "partitions_rewritten": self.rewritten,
            "partitions_skipped": len(self.skipped),
            "seconds": round(self.seconds, 3),
            "partitions": [asdict(p) for p in self.partitions],
        }

    def render(self) -> str:
        lines = [f"newsbeam compact {self.run_id} -> {self.output}"]
        width = max((len(p.partition) for p in self.partitions), default=10)
        for p in self.partitions:
            lines.append(
                f"  {p.partition:<{width}}  {p.files_before:>4} -> {p.files_after} file(s)"
                f"  {p.rows:>8} rows  {p.action}" + (f": {p.note}" if p.note else "")
            )
        lines.append(
            f"  total: {self.files_before} -> {self.files_after} files, "
            f"{self.rewritten} partition(s) rewritten, {len(self.skipped)} skipped, in {self.seconds:.1f} s"
        )
        return "\n".join(lines)


def _conform(table: str, rows: pa.Table, source: Path) -> pa.Table:
    """Rows of one file -> the declared schema: missing nullable columns become NULL, order fixed.

    An unknown column (a file from a newer version) or a missing required column is an error:
    compaction must never drop or invent data.
    """
    schema = TABLES[table]
    extra = set(rows.column_names) - set(schema.names)
    if extra:
        raise ValueError(
            f"{source.name}: columns {sorted(extra)} are not in the {table} schema; refusing to drop them"
        )
    columns = []
    for schema_field in schema:
        if schema_field.name in rows.column_names:
            columns.append(rows.column(schema_field.name))
        elif schema_field.nullable:
            columns.append(pa.nulls(rows.num_rows, schema_field.type))
        else:
            raise ValueError(f"{source.name}: required column {schema_field.name!r} is missing")
    return pa.Table.from_arrays(columns, names=schema.names).cast(schema)


def _read_file(path: Path) -> pa.Table:
    """One file's rows, without the hive partition column (`ParquetFile` never adds it)."""
    return pq.ParquetFile(path).read()


def _replaced_names(path: Path) -> list[str]:
    metadata = pq.read_schema(path).metadata or {}
    raw = metadata.get(COMPACTED_FROM_KEY.encode())
    return list(json.loads(raw)) if raw else []


def _row_group_rows(rows: pa.Table) -> int:
    if rows.num_rows == 0:
        return MIN_ROW_GROUP_ROWS
    per_row = max(1, rows.nbytes // rows.num_rows)
    return max(MIN_ROW_GROUP_ROWS, min(MAX_ROW_GROUP_ROWS, ROW_GROUP_BYTES // per_row))


def write_compacted(table: str, rows: pa.Table, path: Path, replaces: list[str]) -> None:
    """Write the merged partition: zstd, statistics, dictionary columns, declared sort order."""
    metadata = dict(TABLES[table].metadata or {})
    metadata[COMPACTED_FROM_KEY.encode()] = json.dumps(sorted(replaces)).encode()
    rows = rows.replace_schema_metadata(metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        rows,
        path,
        compression="zstd",
        use_dictionary=[c for c in DICTIONARY_COLUMNS if c in rows.column_names],
        write_statistics=True,
        row_group_size=_row_group_rows(rows),
        sorting_columns=[pq.SortingColumn(rows.schema.get_field_index(c)) for c in PRIMARY_KEYS[table]],
    )


def _is_compacted(table: str, path: Path) -> bool:
    """One file already in final form: named by its rows' digest and written with the declared schema."""
    schema = pq.read_schema(path)
    if not schema.equals(TABLES[table], check_metadata=False):
        return False
    keys = pq.read_table(path, columns=list(PRIMARY_KEYS[table]), partitioning=None)
    return path.name == f"part-{file_digest(table, keys)}.parquet"


def compact_partition(
    partition: Partition, output_dir: Path, temp_root: Path, deferred: list[Path] | None = None
) -> PartitionResult:
    """Merge one partition into one file (see the module docstring for the protocol). With
    `deferred`, the replaced files are listed there instead of deleted (a Delta table deletes them
    once its commit names the new file)."""
    table = partition.table
    files = partition.files()
    before = len(files)
    if [f.name for f in files] == [EMPTY_FILENAME]:  # an empty table's placeholder: nothing to merge
        return PartitionResult(partition.label, before, 1, 0, "unchanged")
    try:  # a damaged file: the partition is left as it is, and said so (exit 3)
        for path in files:
            parquet_file(path)
    except DamagedFile as damaged:
        return PartitionResult(partition.label, before, len(files), 0, "skipped", str(damaged))
    # Leftovers of an interrupted compaction: files a compacted file says it replaced.
    replaced = {name for f in files for name in _replaced_names(f)}
    leftovers = [f for f in files if f.name in replaced]
    for stale in leftovers:
        stale.unlink(missing_ok=True)
    files = [f for f in files if f not in leftovers]
    if not files:
        return PartitionResult(partition.label, before, 0, 0, "recovered" if leftovers else "unchanged")
    if len(files) == 1 and _is_compacted(table, files[0]):
        rows = pq.ParquetFile(files[0]).metadata.num_rows
        return PartitionResult(partition.label, before, 1, rows, "recovered" if leftovers else "unchanged")

    try:
        merged = pa.concat_tables([_conform(table, _read_file(f), f) for f in files])
    except ValueError as error:  # e.g. an old file lacks a column now required: never invent values
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        return PartitionResult(partition.label, before, len(files), rows, "skipped", str(error))
    merged = merged.sort_by([(c, "ascending") for c in PRIMARY_KEYS[table]])
    name = f"part-{file_digest(table, merged)}.parquet"
    temp_path = temp_root / partition.path.relative_to(output_dir) / name
    write_compacted(table, merged, temp_path, [f.name for f in files if f.name != name])
    os.replace(temp_path, partition.path / name)  # atomic; replaces a same-named (same keys) old file
    for old in files:
        if old.name != name:
            if deferred is None:
                old.unlink(missing_ok=True)
            else:
                deferred.append(old)
    return PartitionResult(partition.label, before, 1, merged.num_rows, "rewritten")


def _compact_delta(root: Path, run_id: str, temp_root: Path, result: CompactResult) -> None:
    """Compaction of an output with Delta logs: per table, the partitions are merged, then one Delta
    transaction removes the replaced files and adds the merged ones, then the replaced files are
    deleted. A Delta reader sees the table before or after; a plain Parquet reader may see both
    copies of a table's rows between its first rename and the delete (as long as the table takes
    to merge, not milliseconds per partition as without a log). `documents` goes last and names the
    cut, as a run's finalize does."""
    state_tables = tuple(t for t in TABLES if t not in delta_log.DELTA_TABLES)
    for partition in iter_partitions(root, state_tables):
        result.partitions.append(compact_partition(partition, root, temp_root))
    versions: dict[str, int] = {}
    for table in delta_log.COMMIT_SEQUENCE:
        deferred: list[Path] = []
        rewritten: list[str] = []
        for partition in iter_partitions(root, (table,)):
            done = compact_partition(partition, root, temp_root, deferred)
            result.partitions.append(done)
            if done.action == "rewritten":
                rewritten.extend(_relative(root, table, f) for f in partition.files() if f not in deferred)
        removing = [_relative(root, table, f) for f in deferred]
        cut = versions if table == delta_log.COMMIT_SEQUENCE[-1] else None
        version = delta_log.reconcile(root, table, run_id, "compact", rewritten, cut, removing)
        if version is not None:
            versions[table] = version
        for old in deferred:
            old.unlink(missing_ok=True)


def _relative(root: Path, table: str, path: Path) -> str:
    return path.relative_to(delta_log.table_dir(root, table)).as_posix()


def new_compact_id() -> str:
    return f"compact-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{secrets.token_hex(3)}"


def compact(output_dir: str | Path, lock_wait_seconds: float = 0.0) -> CompactResult:
    """Compact every partition of every table under `output_dir` (local path) into one file each.

    Holds `RunLock(output_dir, id)` throughout; raises `pipeline.lock.LockBusy` if a run holds it
    longer than `lock_wait_seconds`.
    """
    root = local_dir(output_dir)
    run_id = new_compact_id()
    result = CompactResult(run_id=run_id, output=str(root))
    clock = time.perf_counter()
    temp_root = root / TEMP_DIRNAME / run_id
    with RunLock(str(root), run_id, wait_seconds=lock_wait_seconds):
        # Under the lock no live run or compaction owns DIR/_temporary: what is there was left by a
        # killed one (a half-written merged file), never to be kept.
        shutil.rmtree(root / TEMP_DIRNAME, ignore_errors=True)
        try:
            if delta_log.has_log(root):
                _compact_delta(root, run_id, temp_root, result)
            else:
                for partition in iter_partitions(root):
                    result.partitions.append(compact_partition(partition, root, temp_root))
        finally:
            shutil.rmtree(temp_root, ignore_errors=True)
            with contextlib.suppress(OSError):
                (root / TEMP_DIRNAME).rmdir()  # only if empty
    result.seconds = time.perf_counter() - clock
    return result
