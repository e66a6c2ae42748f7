"""Engine x table x partition case: every public table reads in DuckDB, Polars, pandas, pyarrow and
Spark with the calls the README gives, with the same row count, the same NULL count and a string
`pub_month`, whether the output holds only the NULL partition, only dated partitions, both, or no
rows at all (every table exists after every run: `part-empty.parquet`)."""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from schemas.tables import NULL_PARTITION, PARTITION_COLUMN, PARTITIONED_TABLES, TABLE_DIRS
from tests.conftest import run_cli
from transforms.write import PUBLIC_TABLES

STRING_HIVE = ds.partitioning(pa.schema([pa.field(PARTITION_COLUMN, pa.string())]), flavor="hive")
UNDATED = "Un article sans aucune date.\n\nLe ministre a parlé longuement devant les députés réunis à Tunis."


@pytest.fixture(scope="module")
def cases(
    seeds_run: tuple[Path, subprocess.CompletedProcess], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """One real output per case; "both" is the session's seeds run (dated and undated documents)."""
    root = tmp_path_factory.mktemp("cases")
    inputs = {
        "null_only": {"a/undated.txt": UNDATED},
        "dated_only": {"a/2019/04/05/dated.txt": UNDATED},
        "empty": {"a/binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00"},  # rejected: no document rows
    }
    outputs = {"both": seeds_run[0]}
    for case, files in inputs.items():
        folder = root / case / "in"
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        outputs[case] = root / case / "out"
        run_cli("run", "-i", str(folder / "**" / "*.txt"), "-o", str(outputs[case]), ok=(0, 3))
    return outputs


def _files(out: Path, table: str) -> list[Path]:
    return sorted((out / TABLE_DIRS[table]).rglob("*.parquet"))


def expected(out: Path, table: str) -> tuple[int, int | None]:
    """Rows and NULL pub_month rows from the Parquet footers and folder names."""
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in _files(out, table))
    if table not in PARTITIONED_TABLES:
        return rows, None
    nulls = sum(
        pq.ParquetFile(f).metadata.num_rows for f in _files(out, table) if f"={NULL_PARTITION}" in str(f)
    )
    return rows, nulls


def duckdb_read(out: Path, table: str) -> tuple[int, int | None, str | None]:
    import duckdb

    source = f"read_parquet('{out / TABLE_DIRS[table]}/**/*.parquet', hive_partitioning = true)"
    con = duckdb.connect()
    try:
        if table not in PARTITIONED_TABLES:
            return con.sql(f"select count(*) from {source}").fetchall()[0][0], None, None
        relation = con.sql(f"select {PARTITION_COLUMN} from {source}")
        rows, nulls = con.sql(
            f"select count(*), count(*) - count({PARTITION_COLUMN}) from {source}"
        ).fetchall()[0]
        return rows, nulls, str(relation.types[0])
    finally:
        con.close()


def polars_read(out: Path, table: str) -> tuple[int, int | None, str | None]:
    import polars as pl

    partitioned = table in PARTITIONED_TABLES
    frame = pl.read_parquet(f"{out / TABLE_DIRS[table]}/**/*.parquet", hive_partitioning=partitioned)
    if not partitioned:
        return frame.height, None, None
    column = frame[PARTITION_COLUMN]
    return frame.height, column.null_count(), "VARCHAR" if column.dtype == pl.String else str(column.dtype)


def pandas_read(out: Path, table: str) -> tuple[int, int | None, str | None]:
    import pandas as pd

    if table not in PARTITIONED_TABLES:
        return len(pd.read_parquet(out / TABLE_DIRS[table])), None, None
    frame = pd.read_parquet(out / TABLE_DIRS[table], partitioning=STRING_HIVE)
    column = frame[PARTITION_COLUMN]
    kind = "VARCHAR" if pd.api.types.is_string_dtype(column.dtype) else str(column.dtype)
    return len(frame), int(column.isna().sum()), kind


def pyarrow_read(out: Path, table: str) -> tuple[int, int | None, str | None]:
    if table not in PARTITIONED_TABLES:
        return pq.read_table(out / TABLE_DIRS[table]).num_rows, None, None
    read = pq.read_table(out / TABLE_DIRS[table], partitioning=STRING_HIVE)
    column = read.column(PARTITION_COLUMN)
    return read.num_rows, column.null_count, "VARCHAR" if column.type == pa.string() else str(column.type)


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    """A local Spark session (PyPI's pyspark on the installed Java), for the module."""
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("newsbeam-reader-matrix")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def spark_read(out: Path, table: str, spark: object) -> tuple[int, int | None, str | None]:
    """The README's call: `spark.read.parquet(dir)`, then `pub_month` cast to string (Spark types a
    NULL-only partition column as `void`, with or without partition type inference)."""
    from pyspark.sql import functions as F  # Spark's own convention

    frame = spark.read.parquet(str(out / TABLE_DIRS[table]))
    if table not in PARTITIONED_TABLES:
        return frame.count(), None, None
    frame = frame.withColumn(PARTITION_COLUMN, F.col(PARTITION_COLUMN).cast("string"))
    column = F.col(PARTITION_COLUMN)
    rows, nulls = frame.select(F.count(F.lit(1)), F.sum(column.isNull().cast("int"))).first()
    kind = dict(frame.dtypes)[PARTITION_COLUMN]
    return rows, nulls or 0, "VARCHAR" if kind == "string" else kind


ENGINES = {"duckdb": duckdb_read, "polars": polars_read, "pandas": pandas_read, "pyarrow": pyarrow_read}


@pytest.mark.parametrize("case", ["null_only", "dated_only", "both", "empty"])
@pytest.mark.parametrize("engine", [*ENGINES, "spark"])
def test_every_table_reads_the_same_in_every_engine_and_case(
    cases: dict[str, Path], case: str, engine: str, request: pytest.FixtureRequest
) -> None:
    if engine == "spark":
        read = functools.partial(spark_read, spark=request.getfixturevalue("spark"))
    else:
        read = ENGINES[engine]
    out = cases[case]
    for table in PUBLIC_TABLES:
        assert _files(out, table), f"{case}: {table} does not exist"
        rows, nulls = expected(out, table)
        got_rows, got_nulls, kind = read(out, table)
        assert (got_rows, got_nulls) == (rows, nulls), (case, table)
        if table in PARTITIONED_TABLES:
            assert kind == "VARCHAR", (case, table, kind)
    documents = expected(out, "documents")
    assert {
        "null_only": documents[0] == documents[1] > 0,
        "dated_only": documents[0] > 0 == documents[1],
        "both": documents[0] > documents[1] > 0,
        "empty": documents == (0, 0),
    }[case], documents


def test_a_table_gets_real_files_and_loses_its_placeholder(cases: dict[str, Path], tmp_path: Path) -> None:
    """The empty case's `documents/part-empty.parquet` goes once a later run writes documents."""
    out = tmp_path / "out"
    shutil.copytree(cases["empty"], out)
    assert (out / "documents" / "part-empty.parquet").exists()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "undated.txt").write_text(UNDATED, encoding="utf-8")
    run_cli("run", "-i", str(tmp_path / "in"), "-o", str(out))
    assert not (out / "documents" / "part-empty.parquet").exists()
    assert not (out / "rejected" / "part-empty.parquet").exists()  # it has its rejected row since run one
    assert duckdb_read(out, "documents")[:2] == (1, 1)
