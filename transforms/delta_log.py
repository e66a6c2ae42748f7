"""Delta Lake transaction logs over the Parquet tables newsbeam writes (`DIR/<table>/_delta_log/`).

Why a log on top of the files: a reader that lists a folder while a run finalizes sees the run's
files appear one rename at a time, and nothing says which files made up the data as of an earlier
run. Delta Lake (delta-rs, the `deltalake` package) records each run as one commit per table: a
Delta reader (deltalake, Polars `scan_delta`, Spark with delta-spark, DuckDB `delta_scan`) sees a
table before or after a commit, never in between, and can read any earlier version. The files
stay exactly where the writer puts them (hive folders `pub_month=YYYY-MM`, the NULL month in
`__HIVE_DEFAULT_PARTITION__`), so plain Parquet readers keep working; `_delta_log` starts with `_`
and every Parquet reader ignores it.

One operation keeps the log true: `reconcile` compares a table's files on disk with the files of
its latest version and commits the difference (adds, removes) as one transaction, with the run id
and the operation in the commit info. It is called after the files are in place (finalize,
compact, rollback of a killed run), so a crash before it leaves no trace in the log, and a first
call on an output written before the log existed converts it (every file an add of version 0).

Consistent cuts across tables: a finalize commits the tables in the writer's order and `documents`
last, and that last commit names the version of every table it belongs with
(`newsbeam.versions` in its commit info; the run manifest keeps the same map). A reader that wants
"the tables as of run R" (or as of now) reads those versions (`table_versions`).

Local and mounted paths only (delta-rs takes object-store URIs too, but the runs' lock is local).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable
from deltalake import Schema as DeltaSchema
from deltalake.transaction import (
    AddAction,
    CommitProperties,
    PostCommitHookProperties,
    RemoveAction,
    create_table_with_add_actions,
)

from schemas import NULL_PARTITION, PARTITION_COLUMN, PARTITIONED_TABLES, dataset_schema
from schemas.tables import TABLE_DIRS

LOG_DIRNAME = "_delta_log"
RUN_KEY = "newsbeam.run_id"
OPERATION_KEY = "newsbeam.operation"
VERSIONS_KEY = "newsbeam.versions"
#: The tables with a log: the public ones (state tables are newsbeam's own).
DELTA_TABLES = tuple(t for t, folder in TABLE_DIRS.items() if not folder.startswith("_"))
#: The order finalize commits in: `documents` last, so its commit can name the cut.
COMMIT_SEQUENCE = tuple(sorted(DELTA_TABLES, key=lambda t: (t == "documents", t)))


def table_dir(output_dir: str | Path, table: str) -> Path:
    return Path(output_dir) / TABLE_DIRS[table]


def has_log(output_dir: str | Path, table: str = "documents") -> bool:
    """True when the table (by default `documents`, committed last) has a Delta log."""
    return (table_dir(output_dir, table) / LOG_DIRNAME).is_dir()


def delta_schema(table: str) -> pa.Schema:
    """The table's Arrow schema as Delta declares it: the declared columns, plus the partition
    column (a string) for partitioned tables; no Parquet key-value metadata."""
    return dataset_schema(table).remove_metadata()


def files_on_disk(folder: Path, table: str) -> list[str]:
    """The table's data files, relative to its folder, as plain Parquet readers see them."""
    if not folder.is_dir():
        return []
    patterns = ["*.parquet", "*/*.parquet"] if table in PARTITIONED_TABLES else ["*.parquet"]
    relative = (p.relative_to(folder) for pattern in patterns for p in folder.glob(pattern))
    return sorted(p.as_posix() for p in relative if not any(part.startswith(("_", ".")) for part in p.parts))


def _partition_values(table: str, relative: str) -> dict[str, str | None]:
    if table not in PARTITIONED_TABLES:
        return {}
    folder = relative.split("/", 1)[0]
    if "/" not in relative or not folder.startswith(f"{PARTITION_COLUMN}="):
        return {PARTITION_COLUMN: None}  # the placeholder file at the table's top
    value = folder.split("=", 1)[1]
    return {PARTITION_COLUMN: None if value == NULL_PARTITION else value}


def _add(folder: Path, table: str, relative: str) -> AddAction:
    path = folder / relative
    stat = path.stat()
    rows = pq.ParquetFile(path).metadata.num_rows
    return AddAction(
        relative,
        stat.st_size,
        _partition_values(table, relative),
        int(stat.st_mtime * 1000),
        True,
        json.dumps({"numRecords": rows}),
    )


def _remove(table: str, relative: str, size: int | None) -> RemoveAction:
    return RemoveAction(relative, True, int(time.time() * 1000), size, _partition_values(table, relative))


#: No checkpoints: delta-rs writes `_delta_log/<version>.checkpoint.parquet` every 100 commits, and a
#: Parquet file under the table folder breaks the plain readers' globs (measured: DuckDB's
#: `read_parquet('out/documents/**/*.parquet', hive_partitioning = true)` fails with "Hive partition
#: mismatch"). One JSON commit per run and table replays fast for years of daily runs; no log
#: cleanup either, so the history stays readable.
NO_CHECKPOINTS = PostCommitHookProperties(create_checkpoint=False, cleanup_expired_logs=False)


def _commit_info(run_id: str, operation: str, extra: Mapping[str, object] | None) -> CommitProperties:
    return CommitProperties(custom_metadata={RUN_KEY: run_id, OPERATION_KEY: operation, **(extra or {})})


def reconcile(
    output_dir: str | Path,
    table: str,
    run_id: str,
    operation: str,
    rewritten: Iterable[str] = (),
    cut: Mapping[str, int] | None = None,
    removing: Iterable[str] = (),
) -> int | None:
    """Commit the difference between the table's files on disk and its latest version, as one
    transaction; the table's version after it (None when there is nothing to commit and no log).

    `rewritten` = files (relative to the table folder) replaced in place under the same name (a
    snapshot rewritten, a rerun's identical file): added again so the log has their new size.
    `removing` = files still on disk that the caller deletes right after the commit (compact).
    With `cut` (the versions of the tables committed before this one), the commit is made even
    when nothing changed, and names the cut with this table's new version (`VERSIONS_KEY`).
    """
    folder = table_dir(output_dir, table)
    gone = set(removing)
    on_disk = [f for f in files_on_disk(folder, table) if f not in gone]
    delta = DeltaTable(str(folder)) if (folder / LOG_DIRNAME).is_dir() else None
    if delta is not None and evolve_schema(delta, table, run_id):
        delta.update_incremental()  # the schema change is a version of its own
    version_after = delta.version() + 1 if delta is not None else 0
    extra = {VERSIONS_KEY: json.dumps({**cut, table: version_after})} if cut is not None else None
    properties = _commit_info(run_id, operation, extra)
    partition_by = [PARTITION_COLUMN] if table in PARTITIONED_TABLES else None
    if delta is None:
        if not on_disk and not extra:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        create_table_with_add_actions(
            str(folder),
            DeltaSchema.from_arrow(delta_schema(table)),
            [_add(folder, table, f) for f in on_disk],
            mode="error",
            partition_by=partition_by,
            commit_properties=properties,
            post_commithook_properties=NO_CHECKPOINTS,
        )
        return 0
    logged = logged_files(delta)
    rewritten_set, on_disk_set = set(rewritten) - gone, set(on_disk)
    adds = [_add(folder, table, f) for f in on_disk if f not in logged or f in rewritten_set]
    removes = [_remove(table, f, size) for f, size in logged.items() if f not in on_disk_set]
    if not adds and not removes and not extra:
        return delta.version()
    delta.create_write_transaction(
        [*adds, *removes],
        mode="append",
        schema=delta_schema(table),
        partition_by=partition_by,
        commit_properties=properties,
        post_commithook_properties=NO_CHECKPOINTS,
    )
    delta.update_incremental()
    return delta.version()


def evolve_schema(delta: DeltaTable, table: str, run_id: str) -> list[str]:
    """Add to the Delta schema the columns the declared schema has and the log does not (a new
    schema version: `schemas/tables.py`), as a Delta schema change of its own; the added names.

    Why: a data commit does not change the table's schema (delta-rs keeps the logged one and
    readers would drop the new column); older files read the new columns as NULL, as everywhere.
    """
    have = {f.name for f in delta.schema().fields}
    new = [f for f in DeltaSchema.from_arrow(delta_schema(table)).fields if f.name not in have]
    if new:
        delta.alter.add_columns(
            new,
            commit_properties=_commit_info(run_id, "schema", None),
            post_commithook_properties=NO_CHECKPOINTS,
        )
    return [f.name for f in new]


def out_of_step(output_dir: str | Path) -> list[str]:
    """The tables whose latest version does not list exactly the files on disk (a table without
    a log but with files counts too)."""
    stale = []
    for table in DELTA_TABLES:
        folder = table_dir(output_dir, table)
        on_disk = set(files_on_disk(folder, table))
        if not (folder / LOG_DIRNAME).is_dir():
            if on_disk:
                stale.append(table)
        elif set(logged_files(DeltaTable(str(folder)))) != on_disk:
            stale.append(table)
    return stale


def logged_files(delta: DeltaTable) -> dict[str, int]:
    """The files of the table's loaded version (relative paths) and their sizes."""
    actions = pa.table(delta.get_add_actions(flatten=True))
    paths, sizes = actions.column("path").to_pylist(), actions.column("size_bytes").to_pylist()
    return dict(zip(paths, sizes, strict=True))


def commit_all(
    output_dir: str | Path, run_id: str, operation: str, rewritten: Mapping[str, Iterable[str]] | None = None
) -> dict[str, int]:
    """`reconcile` every public table in `COMMIT_SEQUENCE`; the last (`documents`) commit names the
    versions of all (`VERSIONS_KEY`), the consistent cut. Returns table -> version."""
    rewritten = rewritten or {}
    versions: dict[str, int] = {}
    for table in COMMIT_SEQUENCE[:-1]:
        version = reconcile(output_dir, table, run_id, operation, rewritten.get(table, ()))
        if version is not None:
            versions[table] = version
    last = COMMIT_SEQUENCE[-1]
    version = reconcile(output_dir, last, run_id, operation, rewritten.get(last, ()), cut=versions)
    versions[last] = version if version is not None else 0
    return versions


def table_versions(output_dir: str | Path, run_id: str | None = None) -> dict[str, int]:
    """The consistent cut: table -> version, as of the latest commit of `documents` (or as of the
    finalize of `run_id`: its last commit of `documents`). Empty when there is no log."""
    folder = table_dir(output_dir, "documents")
    if not (folder / LOG_DIRNAME).is_dir():
        return {}
    delta = DeltaTable(str(folder))
    # Every commit of `documents` but a schema change names the cut, so the latest one nearly always
    # answers; the whole history (one JSON file per commit: no checkpoints) only for a given run.
    for limit in (2, None) if run_id is None else (None,):
        for commit in delta.history(limit):
            if VERSIONS_KEY in commit and (run_id is None or commit.get(RUN_KEY) == run_id):
                return {k: int(v) for k, v in json.loads(commit[VERSIONS_KEY]).items()}
    raise KeyError(f"no commit of run {run_id} in {folder / LOG_DIRNAME}")
