"""Crash safety: a run killed with SIGKILL at any moment leaves the previous output readable and
complete, and the next run finishes the job with exactly the rows of an uninterrupted run.

Why SIGKILL and a real CLI: it is what the OOM killer or a lost node does; no handler, `finally` or
atexit runs, so only the on-disk protocol (temp files, renames, state tables last, the stale-lock
takeover of `pipeline/lock.py`) can make it safe.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from schemas.tables import PRIMARY_KEYS, TABLE_DIRS
from tests.conftest import NEWSBEAM, SEEDS, last_manifest, query, run_cli, table_sql
from transforms.delta_log import DELTA_TABLES, out_of_step

#: Columns that differ between runs by design.
RUN_COLUMNS = frozenset({"ingested_at", "run_id", "rejected_at"})
DATA_TABLES = ("documents", "segments", "entities", "dates")
SNAPSHOT = "entity_clusters"
HIVE = ds.partitioning(pa.schema([("pub_month", pa.string())]), flavor="hive")


def _comparable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def table_rows(output: Path, table: str) -> list[tuple]:
    """Every row of a table, file by file (each must be a complete Parquet file), run columns
    dropped, partition value taken from the folder, sorted: equal lists mean equal tables."""
    rows = []
    for path in sorted((output / TABLE_DIRS[table]).rglob("*.parquet")):
        partition = path.parent.name if path.parent.name.startswith("pub_month=") else None
        for row in pq.ParquetFile(path).read().to_pylist():
            items = tuple(sorted((k, _comparable(v)) for k, v in row.items() if k not in RUN_COLUMNS))
            rows.append((partition, *items))
    return sorted(rows, key=repr)


def file_names(output: Path) -> list[str]:
    return sorted(
        str(p.relative_to(output)) for p in output.rglob("*.parquet") if "_temporary" not in p.parts
    )


def stable_file_names(output: Path) -> list[str]:
    """File names that depend on rows only. `_state/entity_names` rows carry their run_id in the
    primary key (one delta per run), so its file name differs between runs by design."""
    return [name for name in file_names(output) if not name.startswith("_state/entity_names/")]


def readable_keys(output: Path) -> dict[str, set[tuple]]:
    """Primary keys per data table, read the way users read: pyarrow dataset and DuckDB must agree."""
    keys = {}
    for table in DATA_TABLES:
        if not (output / table).exists():
            keys[table] = set()
            continue
        arrow = ds.dataset(output / table, format="parquet", partitioning=HIVE).to_table()
        assert query(f"select count(*) from {table_sql(output, table)}") == [(arrow.num_rows,)], table
        keys[table] = set(zip(*(arrow.column(c).to_pylist() for c in PRIMARY_KEYS[table]), strict=True))
    return keys


def _popen_run(pattern: str, output: Path) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [str(NEWSBEAM), "run", "--input", pattern, "--output", str(output)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _after(seconds: float) -> Callable[[Path, set[str]], bool]:
    deadline = time.monotonic() + seconds
    return lambda _output, _before: time.monotonic() >= deadline


def _after_lock(seconds: float) -> Callable[[Path, set[str]], bool]:
    """`seconds` after the run took `DIR/_lock`: the pipeline is running (reading, NER, writing)."""
    taken: list[float] = []

    def condition(output: Path, _before: set[str]) -> bool:
        if not taken and (output / "_lock").exists():
            taken.append(time.monotonic())
        return bool(taken) and time.monotonic() >= taken[0] + seconds

    return condition


def _temporary_exists(output: Path, _before: set[str]) -> bool:
    return (output / "_temporary").exists()


def _new_final_file(output: Path, before: set[str]) -> bool:
    """A file of the killed run has been renamed into place: finalize is under way."""
    for table in DATA_TABLES:
        folder = output / table
        if folder.exists():
            for part in folder.iterdir():
                with os.scandir(part) as entries:
                    if any(f"{table}/{part.name}/{e.name}" not in before for e in entries):
                        return True
    return False


def kill_when(pattern: str, output: Path, condition: Callable[[Path, set[str]], bool]) -> str:
    """Start a run, SIGKILL it as soon as `condition` holds; returns what the run had reached."""
    before = set(file_names(output))
    proc = _popen_run(pattern, output)
    try:
        while not condition(output, before):
            if proc.poll() is not None:
                return "finished before the kill"
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=600)
    reached = ["lock" if (output / "_lock").exists() else "no lock"]
    reached.append("temporary" if (output / "_temporary").exists() else "no temporary")
    reached.append(f"{len(set(file_names(output)) - before)} new final files")
    return ", ".join(reached)


def first_step(inbox: Path, output: Path) -> None:
    """The previous output: seeds 000-001."""
    run_cli("run", "--input", str(inbox / "00[01]_*.txt"), "--output", str(output))


def second_step(inbox: Path, output: Path) -> Path:
    """The run under test: all five seeds, 002-004 new."""
    run_cli("run", "--input", str(inbox / "*.txt"), "--output", str(output))
    return output


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("crash_inbox")
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
    return folder


@pytest.fixture(scope="module")
def previous(inbox: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("previous") / "out"
    first_step(inbox, output)
    return output


@pytest.fixture(scope="module")
def reference(
    inbox: Path, previous: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Future[Path]]:
    """The uninterrupted second run on a copy of the previous output, computed in the background
    while the crash test kills its runs (two cores: it costs no wall time)."""
    output = tmp_path_factory.mktemp("reference") / "out"
    shutil.copytree(previous, output)
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(second_step, inbox, output)


@pytest.mark.slow
def test_sigkill_at_several_moments_keeps_previous_output_and_rerun_equals_uninterrupted(
    inbox: Path, previous: Path, reference: Future[Path], tmp_path: Path
) -> None:
    output = tmp_path / "out"
    shutil.copytree(previous, output)
    before = readable_keys(output)
    assert len(before["documents"]) == 2

    moments = {
        "after 1 s": _after(1.0),
        "after 3 s": _after(3.0),
        "after 6 s": _after(6.0),
        "2 s after the lock is taken": _after_lock(2.0),
        "_temporary appears": _temporary_exists,
        "first file renamed into place": _new_final_file,
    }
    reached = {}
    for name, condition in moments.items():
        reached[name] = kill_when(str(inbox / "*.txt"), output, condition)
        keys = readable_keys(output)  # readable by pyarrow and DuckDB, and they agree
        for table in DATA_TABLES:
            assert before[table] <= keys[table], (name, table, reached)
        for path in output.rglob("*.parquet"):
            if "_temporary" not in path.parts:
                pq.ParquetFile(path).read()  # no partial file is visible
        for table in DELTA_TABLES:  # a Delta reader of the latest version finds every file it lists
            if (output / table / "_delta_log").is_dir():
                assert DeltaTable(str(output / table)).to_pyarrow_dataset().count_rows() >= 0, (name, table)
    assert reached["_temporary appears"].startswith("lock, temporary"), reached

    proc = run_cli("run", "--input", str(inbox / "*.txt"), "--output", str(output))
    assert "(= documents + skipped + rejected: ok)" in proc.stdout
    assert not (output / "_temporary").exists() and not (output / "_lock").exists()
    counts = last_manifest(output)["counts"]
    assert counts["documents"] + counts["skipped_already_ingested"] == 5
    assert out_of_step(output) == []  # the Delta logs list exactly the files, whatever the kills left
    for table in ("documents", "segments", "entities"):
        delta_rows = DeltaTable(str(output / table)).to_pyarrow_dataset().count_rows()
        assert delta_rows == len(table_rows(output, table)), table

    expected = reference.result()
    print("SIGKILL moments reached:", reached)
    for table in TABLE_DIRS:
        if table == SNAPSHOT:
            continue
        assert table_rows(output, table) == table_rows(expected, table), (table, reached)
    others = [n for n in stable_file_names(output) if not n.startswith(f"{SNAPSHOT}/")]
    assert others == [n for n in stable_file_names(expected) if not n.startswith(f"{SNAPSHOT}/")]
    assert table_rows(output, SNAPSHOT) == table_rows(expected, SNAPSHOT), reached
    assert stable_file_names(output) == stable_file_names(expected)


@pytest.mark.slow
def test_entity_clusters_snapshot_is_one_file_replaced_by_rename(
    previous: Path, reference: Future[Path]
) -> None:
    """The snapshot has one fixed name that each run's finalize replaces in one rename, so no crash
    can leave an old snapshot beside a new one (readers would count every cluster twice)."""
    expected = reference.result()
    for output in (previous, expected):
        assert [p.name for p in (output / SNAPSHOT).glob("*.parquet")] == ["part-snapshot.parquet"]


@pytest.mark.slow
def test_interrupted_finalize_is_rolled_back_and_redone(
    inbox: Path, previous: Path, reference: Future[Path], tmp_path: Path
) -> None:
    """Deterministic stand-in for a SIGKILL inside finalize: the second run's data files and some
    of its state were renamed into place, `_state/documents` (renamed last) was not, and its pending
    record is still there. The next run removes those files, ingests the three documents again,
    and ends with exactly the uninterrupted run's tables and file names."""
    expected = reference.result()
    output = tmp_path / "out"
    shutil.copytree(expected, output)
    second_run = last_manifest(output)["run_id"]
    new_files = sorted(set(file_names(expected)) - set(file_names(previous)))
    listed = [str(output / name) for name in new_files if not name.startswith(f"{SNAPSHOT}/")]
    for name in new_files:
        if name.startswith("_state/documents/"):
            (output / name).unlink()  # not yet renamed when the run died
    pending = output / "_runs" / "pending"
    pending.mkdir(parents=True, exist_ok=True)
    (pending / f"{second_run}-all.json").write_text(json.dumps(listed))
    (output / "_runs" / f"{second_run}.json").unlink()  # the dead run wrote no manifest

    run_cli("run", "--input", str(inbox / "*.txt"), "--output", str(output))
    counts = last_manifest(output)["counts"]
    assert (counts["documents"], counts["skipped_already_ingested"]) == (3, 2)
    assert not pending.exists() or not any(pending.iterdir())
    for table in TABLE_DIRS:
        assert table_rows(output, table) == table_rows(expected, table), table
    assert stable_file_names(output) == stable_file_names(expected)
