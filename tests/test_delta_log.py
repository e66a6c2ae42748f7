"""Delta Lake logs over the output (`transforms/delta_log.py`), read by the engines analysts use.

Every test runs the installed CLI for real and reads the tables back with deltalake (pandas), Polars
`scan_delta`, DuckDB `read_parquet` and pyarrow (plain Parquet readers must keep working).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from pipeline.analytics import read_table
from schemas import PARTITIONED_TABLES
from tests.conftest import NEWSBEAM, ROOT, SEEDS, run_cli
from transforms.delta_log import DELTA_TABLES, LOG_DIRNAME, commit_all, table_versions

pytestmark = pytest.mark.slow
DELTA_JARS = ROOT / ".tools" / "delta"

COUNTED = ("documents", "segments", "entities")


def _run(inputs: Path, output: Path, *extra: str) -> dict:
    run_cli("run", "-i", str(inputs), "-o", str(output), "--no-progress", "--no-counters", *extra, ok=(0, 3))
    manifests = sorted(
        (output / "_runs").glob("*.json"), key=lambda p: json.loads(p.read_text())["started_at"]
    )
    return json.loads(manifests[-1].read_text())


def _delta_counts(output: Path, versions: dict[str, int] | None = None) -> tuple[int, ...]:
    return tuple(
        DeltaTable(str(output / t), version=(versions or {}).get(t)).to_pyarrow_dataset().count_rows()
        for t in COUNTED
    )


def _plain_glob(output: Path, table: str) -> str:
    return str(output / table / ("**/*.parquet" if table in PARTITIONED_TABLES else "*.parquet"))


def _counts_every_way(output: Path) -> dict[str, dict[str, int]]:
    """Rows per table as each engine reads them: through the log and as plain Parquet."""
    found: dict[str, dict[str, int]] = {}
    for table in DELTA_TABLES:
        path = str(output / table)
        found[table] = {
            "deltalake": len(DeltaTable(path).to_pandas()),
            "polars_delta": pl.scan_delta(path).select(pl.len()).collect().item(),
            "polars_parquet": pl.scan_parquet(_plain_glob(output, table), hive_partitioning=True)
            .select(pl.len())
            .collect()
            .item(),
            "duckdb_parquet": duckdb.sql(
                f"SELECT count(*) FROM read_parquet('{_plain_glob(output, table)}', hive_partitioning = true)"
            ).fetchall()[0][0],
            "newsbeam": read_table(output, table).num_rows,
        }
    return found


#: Reads Delta tables with Spark: argv = jars (comma-separated), {name: [table folder, version]} as
#: JSON; prints {name: rows} as JSON.
SPARK_COUNTS = """
import json, sys
from pyspark.sql import SparkSession

jars, asked = sys.argv[1], json.loads(sys.argv[2])
spark = (
    SparkSession.builder.master("local[1]")
    .config("spark.jars", jars)
    .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
    .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
    .config("spark.databricks.delta.snapshotPartitions", "1")
    .config("spark.sql.shuffle.partitions", "1")
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
counts = {}
for name, (folder, version) in asked.items():
    frame = spark.read.format("delta").option("versionAsOf", version).load(folder)
    assert dict(frame.dtypes).get("pub_month", "string") == "string"
    counts[name] = frame.count()
print(json.dumps(counts))
spark.stop()
"""


def _spark_counts(asked: dict[str, tuple[Path, int]]) -> dict[str, int]:
    """Rows per name of (table folder, version) as Spark with Delta Lake reads them (`versionAsOf`).

    In a process of its own: a JVM that a Spark session without the Delta jars started first (the
    reader matrix's, when both files share a pytest worker) does not find the `delta` source.
    `pub_month` must read as a string. In CI a missing set-up fails; elsewhere it skips."""
    jars = sorted(DELTA_JARS.glob("*.jar"))
    if len(jars) < 2 or not shutil.which("java"):
        if os.environ.get("CI"):
            pytest.fail(f"no Delta Spark jars in {DELTA_JARS} or no Java: run ./run_local.sh")
        pytest.skip("Delta Spark jars not set up (./run_local.sh fetches them)")
    proc = subprocess.run(
        [sys.executable, "-c", SPARK_COUNTS, ",".join(map(str, jars)), json.dumps(asked, default=str)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_reader_polling_the_log_sees_a_run_whole_or_not_at_all(
    seeds_run: tuple[Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    """While `newsbeam run` writes 300 documents into an output that already holds the seeds, a
    reader takes the consistent cut (`table_versions`: the versions the latest `documents` commit
    names) as fast as it can: documents, segments and entities move together, from the counts
    before the run to the counts after, and never stand in between."""
    output = tmp_path / "out"
    shutil.copytree(seeds_run[0], output)  # the session's seeds run (with bad files): a Delta output
    before = _delta_counts(output, table_versions(output))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_pipeline import write_corpus

    corpus = write_corpus(tmp_path / "corpus", n_docs=300, dup_percent=30, length=(2, 5)).path
    seen: list[tuple[int, ...]] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            seen.append(_delta_counts(output, table_versions(output)))

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        proc = subprocess.run(
            [str(NEWSBEAM), "run", "-i", str(corpus), "-o", str(output), "--no-progress", "--no-counters"],
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        time.sleep(0.5)
        stop.set()
        reader.join()
    assert proc.returncode == 0, proc.stderr
    after = _delta_counts(output, table_versions(output))
    assert after[0] == before[0] + 300 and all(a > b for a, b in zip(after, before, strict=True))
    assert set(seen) <= {before, after}, sorted(set(seen) - {before, after})
    assert seen[0] == before and seen[-1] == after and len(seen) > 10


def test_each_run_is_a_version_and_compact_one_transaction_read_alike_by_every_engine(tmp_path: Path) -> None:
    """Time travel: three runs (seeds 0-1, then 2-3, then 4); each manifest names every table's
    version; at those versions the tables hold the rows of that run and the runs before, and the
    rows added at a run's version are exactly the rows whose run_id is that run's.

    Then `compact` (of a copy) merges the runs' files in one Delta transaction per table (removes +
    adds, the replaced files deleted at once): every Delta reader (deltalake, Polars, Spark) and
    every plain Parquet reader (DuckDB, Polars, pyarrow) gives the counts it gave before, and the
    next run commits on top of the compacted tables."""
    inbox, output = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    manifests = []
    for part in (seeds[:2], seeds[2:4], seeds[4:]):
        for seed in part:
            shutil.copy(seed, inbox / seed.name)
        manifests.append(_run(inbox, output))
    runs = [m["run_id"] for m in manifests]
    documents = read_table(output, "documents", ["doc_id", "run_id"]).to_pylist()
    for index, manifest in enumerate(manifests):
        versions = manifest["delta_versions"]
        assert set(versions) == set(DELTA_TABLES) and versions == table_versions(output, runs[index])
        so_far = {d["doc_id"] for d in documents if d["run_id"] in runs[: index + 1]}
        for table in ("documents", "segments", "entities", "dates"):
            delta = DeltaTable(str(output / table), version=versions[table])
            at_version = delta.to_pyarrow_table(columns=["doc_id"]).column("doc_id").to_pylist()
            latest = read_table(output, table, ["doc_id"]).column("doc_id").to_pylist()
            assert sorted(at_version) == sorted(d for d in latest if d in so_far), table
        runs_at_version = DeltaTable(str(output / "documents"), version=versions["documents"]).to_pandas()
        assert set(runs_at_version["run_id"]) == set(runs[: index + 1])
        history = DeltaTable(str(output / "documents")).history()
        commit = next(c for c in history if c["version"] == versions["documents"])
        assert commit["newsbeam.run_id"] == runs[index] and commit["newsbeam.operation"] == "run"
    before = _counts_every_way(output)
    assert all(len(set(engines.values())) == 1 for engines in before.values()), before
    compacted = tmp_path / "compacted"  # compact deletes what it replaced: the original keeps history
    shutil.copytree(output, compacted)
    run_cli("compact", str(compacted))
    assert _counts_every_way(compacted) == before
    for table in DELTA_TABLES:
        delta = DeltaTable(str(compacted / table))
        logged = {Path(p).name for p in delta.file_uris()}
        on_disk = {p.name for p in (compacted / table).rglob("*.parquet") if LOG_DIRNAME not in p.parts}
        assert logged == on_disk, table  # nothing replaced is left for plain readers
    documents = DeltaTable(str(compacted / "documents"))
    assert documents.history(1)[0]["newsbeam.operation"] == "compact"
    assert table_versions(compacted)["documents"] == documents.version()
    # Spark, in one process (a JVM costs seconds): the first run's versions of the original (time
    # travel), every table of the compacted copy. entity_clusters is a snapshot replaced in place:
    # only its latest version reads (docs/output.md).
    first = {t: manifests[0]["delta_versions"][t] for t in COUNTED}
    asked = {f"first {t}": (output / t, v) for t, v in first.items()}
    asked |= {
        f"compacted {t}": (compacted / t, DeltaTable(str(compacted / t)).version()) for t in DELTA_TABLES
    }
    expected = {f"first {t}": DeltaTable(str(output / t), version=v).count() for t, v in first.items()}
    expected |= {f"compacted {t}": before[t]["deltalake"] for t in DELTA_TABLES}
    assert _spark_counts(asked) == expected
    output = compacted
    (inbox / "extra.txt").write_text(" date 2019-04-09\nUn texte de plus sur Tripoli.\n", encoding="utf-8")
    _run(inbox, output)
    assert len(DeltaTable(str(output / "documents")).to_pandas()) == before["documents"]["deltalake"] + 1


def test_undated_rows_are_read_with_is_null_and_plain_parquet_stays_an_option(
    seeds_run: tuple[Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    """The NULL month is a NULL partition value in the log: SQL `IS NULL` (Polars, pyarrow
    expressions) finds the undated documents; `--format parquet` writes no log, and an output that
    keeps one refuses plain Parquet runs (they would leave the log behind)."""
    output = seeds_run[0]
    undated = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{_plain_glob(output, 'documents')}', hive_partitioning = true) "
        "WHERE pub_month IS NULL OR pub_month = '__HIVE_DEFAULT_PARTITION__'"
    ).fetchall()[0][0]
    assert undated > 0
    path = str(output / "documents")
    assert (
        pl.scan_delta(path).filter(pl.col("pub_month").is_null()).select(pl.len()).collect().item() == undated
    )
    dataset = DeltaTable(path).to_pyarrow_dataset()
    assert dataset.count_rows(filter=pc.field("pub_month").is_null()) == undated
    refused = run_cli("run", "-i", str(SEEDS), "-o", str(output), "--format", "parquet", check=False)
    assert refused.returncode == 2 and "Delta Lake log" in refused.stderr
    plain, inbox = tmp_path / "plain", tmp_path / "in"
    inbox.mkdir()
    shutil.copy(sorted(SEEDS.glob("*.txt"))[0], inbox)
    _run(inbox, plain, "--format", "parquet")
    assert (
        not list(plain.rglob(LOG_DIRNAME))
        and json.loads(next((plain / "_runs").glob("*.json")).read_text())["delta_versions"] == {}
    )


def test_a_new_schema_version_is_a_delta_schema_change(tmp_path: Path) -> None:
    """A table whose log predates a column (here `rejected` without `detail`): the next commit first
    adds the column to the Delta schema (a commit of its own, operation `schema`), then the files;
    rows of the older file read it as NULL. Without that step delta-rs keeps the logged schema and
    every Delta reader silently drops the new column."""
    from deltalake import Schema as DeltaSchema
    from deltalake.transaction import create_table_with_add_actions

    from transforms.delta_log import _add, delta_schema, reconcile

    folder = tmp_path / "rejected"
    folder.mkdir()
    full = delta_schema("rejected")
    old = full.remove(full.get_field_index("detail"))
    row = {
        "source": "a.txt",
        "reason": "empty",
        "size_bytes": 0,
        "rejected_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    }
    pq.write_table(pa.Table.from_pylist([{**row, "run_id": "r1"}], schema=old), folder / "part-old.parquet")
    create_table_with_add_actions(
        str(folder), DeltaSchema.from_arrow(old), [_add(folder, "rejected", "part-old.parquet")], mode="error"
    )
    new = {**row, "source": "b.txt", "detail": "no text", "run_id": "r2"}
    pq.write_table(pa.Table.from_pylist([new], schema=full), folder / "part-new.parquet")
    assert reconcile(tmp_path, "rejected", "r2", "run") == 2
    delta = DeltaTable(str(folder))
    assert sorted(f.name for f in delta.schema().fields) == sorted(full.names)  # new columns go last
    assert [c.get("newsbeam.operation") for c in delta.history()] == ["run", "schema", None]
    rows = sorted(delta.to_pyarrow_table(columns=["source", "detail"]).to_pylist(), key=lambda r: r["source"])
    assert rows == [{"source": "a.txt", "detail": None}, {"source": "b.txt", "detail": "no text"}]


def test_a_hundred_runs_leave_no_checkpoint_parquet_for_plain_globs_to_trip_on(
    seeds_run: tuple[Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    """delta-rs writes `_delta_log/<v>.checkpoint.parquet` every 100 commits by default, and DuckDB's
    `read_parquet('out/documents/**/*.parquet', hive_partitioning = true)` then fails ("Hive
    partition mismatch"). newsbeam commits without checkpoints: after 101 commits per table the
    README's plain calls and the Delta readers still agree."""
    output = tmp_path / "out"
    shutil.copytree(seeds_run[0], output)
    for run in range(101):
        commit_all(output, f"r{run}", "run")
    assert not list(output.rglob("*.checkpoint.parquet"))
    assert DeltaTable(str(output / "documents")).version() >= 100
    plain = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{_plain_glob(output, 'documents')}', hive_partitioning = true)"
    ).fetchall()[0][0]
    assert plain == DeltaTable(str(output / "documents")).count() == read_table(output, "documents").num_rows
