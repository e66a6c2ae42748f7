"""Shared fixtures: paths, and one real end-to-end run of the CLI on the seeds per test session."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
#: Half of the French TimeBank 1.1 (LGPL-LR, licence beside it), vendored: a bare clone has no ../shared.
TIMEBANK = ROOT / "tests" / "data" / "french-timebank-dev"
NEWSBEAM = Path(sys.executable).parent / "newsbeam"

#: Test files of over a minute each on 2 workers (2026-12-03, 940 s in all), heaviest first. Why:
#: pytest-xdist hands out whole files (`--dist loadfile`) in collection order (`run_local.sh` turns
#: off its reordering by test count, which put these few-test files last and left one worker
#: running alone for minutes at the end).
HEAVY_FIRST = (
    "test_delta_log.py", "test_delivery_paths.py", "test_flink.py", "test_cli_errors.py",
    "test_recurring.py", "test_crash_safety.py", "test_analytics.py", "test_reader_matrix.py",
    "test_streaming.py",
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Heavy files first (`HEAVY_FIRST`); a file's tests keep their order, the rest theirs."""
    rank = {name: index for index, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def run_cli(
    *args: str,
    cwd: Path = ROOT,
    check: bool = True,
    ok: tuple[int, ...] = (0,),
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run the installed `newsbeam` console script for real (a subprocess, as a user would).

    With `check`, an exit code outside `ok` fails the test with the command's output.
    """
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200", **(env or {})}  # wide help: no cut options
    proc = subprocess.run(
        [str(NEWSBEAM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    if check and proc.returncode not in ok:
        raise AssertionError(
            f"newsbeam {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def last_manifest(output: Path) -> dict:
    manifests = sorted((output / "_runs").glob("*.json"))
    return json.loads(manifests[-1].read_text())


def shared_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], dict]) -> dict:
    """`build(folder)` once per test session, whatever the number of pytest-xdist workers: the
    first worker to ask builds under a file lock, the others wait and get the same result (a JSON
    dict). Why: session fixtures are per worker process, and on two workers the seeds run and the
    newsroom run (a minute of NER) were made twice. The folder is shared: tests copy, never modify.
    """
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, result = root / name, root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not result.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build that failed half-way
            folder.mkdir(parents=True)
            result.write_text(json.dumps(build(folder)))
    return json.loads(result.read_text())


def _completed(found: dict) -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess(found["args"], found["returncode"], found["stdout"], found["stderr"])


def _process_record(proc: subprocess.CompletedProcess) -> dict:
    return {"args": proc.args, "returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


@pytest.fixture(scope="session")
def seeds_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five seeds plus two bad files (empty, undecodable); shared by the session's workers."""

    def build(folder: Path) -> dict:
        for seed in sorted(SEEDS.glob("*.txt")):
            shutil.copy(seed, folder / seed.name)
        (folder / "900_empty.txt").write_bytes(b"   \n\n")
        (folder / "901_latin1_garbage.txt").write_bytes(b"caf\xe9 \xff\xfe invalid utf-8")
        return {"path": str(folder)}

    return Path(shared_once(tmp_path_factory, "input", build)["path"])


@pytest.fixture(scope="session")
def seeds_run(
    seeds_input: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess]:
    """One real `newsbeam run` on the seeds (+ bad files) into a fresh folder, once per session."""

    def build(folder: Path) -> dict:
        output = folder / "dataset"
        proc = run_cli("run", "--input", str(seeds_input / "*.txt*"), "--output", str(output), ok=(3,))
        return {"output": str(output), "proc": _process_record(proc)}

    found = shared_once(tmp_path_factory, "out", build)
    return Path(found["output"]), _completed(found["proc"])


@pytest.fixture(scope="session")
def newsroom_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, int], subprocess.CompletedProcess]:
    """One real `newsbeam run` on a newsroom inbox of a few hundred real documents (tests/newsroom.py):
    219 files, so the DirectRunner runs two worker processes. Output, what the inbox holds, the run;
    once per session."""
    from tests.newsroom import build_newsroom, input_patterns

    def build(folder: Path) -> dict:
        inbox = folder / "in"
        counts = build_newsroom(inbox)
        output = folder / "out"
        inputs = [arg for pattern in input_patterns(inbox) for arg in ("--input", pattern)]
        proc = run_cli("run", *inputs, "--output", str(output), ok=(3,))
        return {"output": str(output), "counts": counts, "proc": _process_record(proc)}

    found = shared_once(tmp_path_factory, "newsroom", build)
    return Path(found["output"]), found["counts"], _completed(found["proc"])


def table_sql(output: Path, table: str) -> str:
    """DuckDB source of one hive-partitioned table of an output folder."""
    return f"read_parquet('{output}/{table}/**/*.parquet', hive_partitioning=true)"


def query(sql: str) -> list[tuple]:
    """All rows of a DuckDB query, on a fresh in-memory connection (no shared cursor state)."""
    import duckdb

    con = duckdb.connect()
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def _save_pickle(actual: list, path: str) -> None:
    import pickle

    with open(path, "wb") as handle:
        pickle.dump(list(actual), handle)


def batch_dedup(documents: list, folder: Path, keyed: bool = False, index: list | None = None) -> dict:
    """segment_id -> DedupVerdict of every segment of `documents`, decided on the DirectRunner as
    `newsbeam run` decides them: by the one-combine wrapper (`DeduplicateDocuments`), or with
    `keyed` by the keyed one (`DeduplicateDocumentsKeyed`). `index`: key tables of earlier runs."""
    import functools
    import pickle

    import apache_beam as beam
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that

    from transforms.dedup.batch import DeduplicateDocuments
    from transforms.dedup.decide import segment_document_for_dedup, verdicts_for
    from transforms.dedup.keyed import DeduplicateDocumentsKeyed
    from transforms.dedup.near import NearDedupConfig
    from transforms.segment import SegmentConfig

    near = NearDedupConfig()
    saved = str(folder / f"batch-dedup-verdicts-{'keyed' if keyed else 'combine'}.pkl")
    decision = DeduplicateDocumentsKeyed if keyed else DeduplicateDocuments
    with TestPipeline() as p:
        segmented = p | beam.Create(documents) | beam.Map(segment_document_for_dedup, SegmentConfig(), near)
        history = None if index is None else p | "Index" >> beam.Create(index)
        duplicates = segmented | decision(near, history)
        verdicts = segmented | "Verdicts" >> beam.FlatMap(
            lambda element, found: verdicts_for(element[1], found),
            beam.pvalue.AsSingleton(duplicates, default_value={}),
        )
        assert_that(verdicts, functools.partial(_save_pickle, path=saved))
    with open(saved, "rb") as handle:
        return {v.segment_id: v for v in pickle.load(handle)}
