"""Analytics over a newsbeam output folder: `stats`, `report` and `compact`.

Why a separate package that needs no Beam: these commands only read (or rewrite) the Parquet that
a run left behind, so they use pyarrow alone and answer in a second, even where Beam is not
installed. They work on local paths only: listing partitions, atomic renames and the run lock all
need a POSIX filesystem (see `pipeline.lock`).

Shared helpers live here so that every command sees the dataset the same way: tables are opened
with their *declared* schema (`schemas.tables`), not the schema of whichever file comes first, so
files written before a column existed read with that column as NULL (schema evolution).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline.command import DamagedFile
from schemas.tables import (
    NULL_PARTITION,
    PARTITION_COLUMN,
    PARTITIONED_TABLES,
    TABLE_DIRS,
    TABLES,
    dataset_schema,
)

__all__ = [
    "Partition",
    "iter_partitions",
    "local_dir",
    "open_table",
    "read_table",
    "table_path",
]


def local_dir(output_dir: str | Path) -> Path:
    """The output folder as a local Path; refuse Beam URLs (gs://, s3://) with a clear message."""
    text = str(output_dir)
    if "://" in text and not text.startswith("file://"):
        raise ValueError(f"{text}: analytics commands work on local folders only (copy the dataset first)")
    path = Path(text.removeprefix("file://"))
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such output folder")
    return path


def table_path(output_dir: Path, table: str) -> Path:
    return output_dir / TABLE_DIRS[table]


@dataclass(frozen=True, slots=True)
class Partition:
    """One folder of Parquet files: a `pub_month=` folder, or the table folder of a flat table."""

    table: str
    value: str | None  # the pub_month folder value ('__HIVE_DEFAULT_PARTITION__' included); None: flat
    path: Path

    @property
    def label(self) -> str:
        return f"{self.table}/{PARTITION_COLUMN}={self.value}" if self.value is not None else self.table

    def files(self) -> list[Path]:
        """Data files, sorted; hidden and `_`-prefixed names are ignored like every engine does."""
        return sorted(
            p for p in self.path.glob("*.parquet") if p.is_file() and not p.name.startswith(("_", "."))
        )


def iter_partitions(output_dir: Path, tables: tuple[str, ...] | None = None) -> Iterator[Partition]:
    """Every existing partition of `tables` (default: all declared tables), in a stable order."""
    for table in tables or tuple(TABLES):
        root = table_path(output_dir, table)
        if not root.is_dir():
            continue
        if table in PARTITIONED_TABLES:
            prefix = f"{PARTITION_COLUMN}="
            for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(prefix)):
                yield Partition(table, folder.name[len(prefix) :], folder)
        else:
            yield Partition(table, None, root)


def open_table(output_dir: Path, table: str) -> ds.Dataset | None:
    """A pyarrow dataset over `table` with its declared schema; None if the table was never written.

    Why the explicit schema and partitioning: inference takes the first file's schema (an older
    file would hide newer columns) and would type `pub_month` from the folder names (all-NULL
    folders would make it a null type).
    """
    root = table_path(output_dir, table)
    if not root.is_dir() or not any(root.rglob("*.parquet")):
        return None
    partitioning = None
    if table in PARTITIONED_TABLES:
        partitioning = ds.HivePartitioning(
            pa.schema([pa.field(PARTITION_COLUMN, pa.string())]), null_fallback=NULL_PARTITION
        )
    logged = logged_paths(output_dir, table)
    if logged is not None:  # through the Delta log: the files of the latest cut, never a run half-way
        return ds.dataset(
            [str(root / path) for path in logged],
            format="parquet",
            partitioning=partitioning,
            partition_base_dir=str(root),
            schema=dataset_schema(table),
            exclude_invalid_files=False,
        )
    return ds.dataset(
        str(root),
        format="parquet",
        partitioning=partitioning,
        schema=dataset_schema(table),
        exclude_invalid_files=False,
        ignore_prefixes=["_", "."],
    )


def logged_paths(output_dir: Path, table: str) -> list[str] | None:
    """The table's files (relative paths) at the version of the latest consistent cut
    (`delta_log.table_versions`), or None when the output keeps no Delta log for it."""
    from deltalake import DeltaTable

    from transforms import delta_log

    if not delta_log.has_log(output_dir, table):
        return None
    version = delta_log.table_versions(output_dir).get(table)  # {} when `documents` has no log
    delta = DeltaTable(str(table_path(output_dir, table)), version=version)
    return sorted(delta_log.logged_files(delta))


#: What to do about a damaged data file (`DamagedFile`).
DATA_ADVICE = "move it out of the output folder (or restore it from a backup) and rerun"


def parquet_file(path: Path, advice: str = DATA_ADVICE) -> pq.ParquetFile:
    """The file's footer, or `DamagedFile` naming it with `advice` (pyarrow's own error never
    names the file)."""
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise DamagedFile(path, error, advice) from None


def read_table(output_dir: Path, table: str, columns: list[str] | None = None) -> pa.Table | None:
    """`columns` of `table` as one Arrow table (None if the table does not exist); a damaged file
    raises `DamagedFile` naming it."""
    dataset = open_table(output_dir, table)
    if dataset is None:
        return None
    try:
        return dataset.to_table(columns=columns)
    except (pa.ArrowException, OSError) as error:
        stored = [c for c in columns or [] if c in TABLES[table].names] or None  # not pub_month
        for path in sorted(table_path(output_dir, table).rglob("*.parquet")):
            try:
                parquet_file(path).read(columns=stored)
            except (pa.ArrowException, OSError) as damage:
                raise DamagedFile(path, damage, DATA_ADVICE) from None
        raise error
