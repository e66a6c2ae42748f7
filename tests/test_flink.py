"""The same pipeline, unchanged, on a real Flink cluster through Beam's FlinkRunner.

A JobManager and a TaskManager (separate JVMs, 2 slots) are started from the Flink distribution
`deploy/flink/setup.sh` unpacked, the pipeline is submitted with `newsbeam run --runner=FlinkRunner`,
and every output table must hold the same rows as the DirectRunner's run on the same input (run ids
and ingestion times aside). The cluster is stopped afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.tables import TABLE_DIRS
from tests.conftest import ROOT, last_manifest, run_cli
from tests.test_crash_safety import table_rows

pytestmark = pytest.mark.distributed

REST_PORT = 18081  # not Flink's default 8081: a developer's own cluster may be running there
RPC_PORT = 16123


def _setup_missing() -> str | None:
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


@pytest.fixture(scope="module")
def flink_master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local Flink session cluster for the module: started here, stopped at the end."""
    missing = _setup_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the distributed tests need Java and Maven: {missing}")
        pytest.skip(f"Flink needs Java and Maven: {missing}")
    subprocess.run(["bash", str(ROOT / "deploy/flink/setup.sh")], check=True, timeout=1800)
    env = {
        **os.environ,
        "FLINK_REST_PORT": str(REST_PORT),
        "FLINK_RPC_PORT": str(RPC_PORT),
        "FLINK_RUN_DIR": str(tmp_path_factory.mktemp("flink-cluster")),
    }
    cluster = [str(ROOT / "deploy/flink/cluster.sh")]
    subprocess.run(["bash", *cluster, "start"], check=True, env=env, timeout=300)
    try:
        yield f"localhost:{REST_PORT}"
    finally:
        subprocess.run(["bash", *cluster, "stop"], env=env, timeout=120)


def _rest(master: str, path: str) -> dict:
    with urllib.request.urlopen(f"http://{master}{path}", timeout=10) as response:
        return json.load(response)


def _flink_jobs(master: str) -> dict[str, dict]:
    return {job["jid"]: job for job in _rest(master, "/jobs/overview")["jobs"]}


def run_on_flink(
    master: str, inputs: str, output: Path, ok: tuple[int, ...], environment: tuple[str, ...] = ()
) -> dict:
    """`newsbeam run` on the cluster at parallelism 2; returns the Flink job it ran as."""
    before = set(_flink_jobs(master))
    run_cli(
        "run",
        "--input",
        inputs,
        "--output",
        str(output),
        "--",
        "--runner=FlinkRunner",
        f"--flink_master={master}",
        *(environment or ("--environment_type=LOOPBACK",)),
        "--parallelism=2",
        ok=ok,
    )
    new = [job for jid, job in _flink_jobs(master).items() if jid not in before]
    assert len(new) == 1, new
    return _rest(master, f"/jobs/{new[0]['jid']}")


def assert_decided_keyed_at_parallelism_2(job: dict, output: Path) -> None:
    """The dedup decision ran keyed (auto off the local runners), its grouping steps in both slots."""
    assert last_manifest(output)["options"]["dedup_decision"] == "keyed"
    steps = [v for v in job["vertices"] if "GroupByHash" in v["name"] or "GroupByBand" in v["name"]]
    assert steps, [v["name"] for v in job["vertices"]]
    assert all(v["parallelism"] == 2 for v in steps), [(v["name"], v["parallelism"]) for v in steps]


def assert_same_tables(flink: Path, direct: Path) -> None:
    assert last_manifest(flink)["counts"] == last_manifest(direct)["counts"]
    for table in TABLE_DIRS:
        rows = table_rows(direct, table)
        assert rows or table == "rejected", table
        assert table_rows(flink, table) == rows, table


@pytest.mark.slow
def test_several_hundred_documents_on_flink_give_the_direct_runners_rows(
    flink_master: str, seeds_input: Path, tmp_path: Path
) -> None:
    """300 generated documents, the seeds and two bad files: the same rows on Flink (two TaskManager
    slots) as on the DirectRunner, dead letters included."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_pipeline import write_corpus

    # short documents (3-8 sentences): the point is 300 files spread over two slots, not NER time
    corpus = write_corpus(tmp_path / "corpus", n_docs=300, dup_percent=30, length=(3, 8))
    for path in sorted(seeds_input.glob("*.txt")):  # the seeds and the two bad inputs
        shutil.copy(path, corpus.path / f"zz-{path.name}")
    inputs = str(corpus.path / "*.txt")
    run_cli("run", "--input", inputs, "--output", str(tmp_path / "direct"), ok=(3,))
    job = run_on_flink(flink_master, inputs, tmp_path / "flink", ok=(3,))
    assert job["state"] == "FINISHED"
    # the work really ran in the cluster's TaskManager slots, two at a time
    assert max(vertex["parallelism"] for vertex in job["vertices"]) == 2
    assert_decided_keyed_at_parallelism_2(job, tmp_path / "flink")
    assert_same_tables(tmp_path / "flink", tmp_path / "direct")
    assert last_manifest(tmp_path / "flink")["counts"]["documents"] == 305
    assert len(table_rows(tmp_path / "direct", "rejected")) == 2  # dead letters on both runners


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("NEWSBEAM_TEST_PROCESS_WORKERS"),
    reason="opt-in (about 6 min, 1.3 GB of worker venv): NEWSBEAM_TEST_PROCESS_WORKERS=1",
)
def test_seeds_on_flink_with_process_workers_that_get_everything_from_the_job(
    flink_master: str, seeds_run: tuple[Path, subprocess.CompletedProcess], seeds_input: Path, tmp_path: Path
) -> None:
    """PROCESS environment: the TaskManager starts Beam's boot program, which builds a clean venv
    from the artifacts staged with the job (SDK wheel, newsbeam wheel, pinned requirements with the
    spaCy model) and nothing else: pip runs with --no-index against the staged files only."""
    subprocess.run(["bash", str(ROOT / "deploy/flink/worker/build.sh")], check=True, timeout=1800)
    options = tuple((ROOT / ".tools/flink/worker/beam-args").read_text().split())
    assert any(o.startswith("--extra_package=") and o.endswith(".whl") for o in options)
    direct, _ = seeds_run
    job = run_on_flink(
        flink_master, str(seeds_input / "*.txt*"), tmp_path / "flink", ok=(3,), environment=options
    )
    assert job["state"] == "FINISHED"
    assert_same_tables(tmp_path / "flink", direct)
    logs = sorted(Path("/tmp/newsbeam-sdk-workers/logs").glob("worker-*.log"), key=os.path.getmtime)
    assert logs, "no SDK worker was started by the TaskManager"
    # the package reached the worker as an artifact of the job, not from the submitting venv
    assert "staged/newsbeam-0.1.0-py3-none-any.whl" in logs[-1].read_text()


def test_flink_runner_without_a_job_server_jar_is_a_usage_error(tmp_path: Path) -> None:
    """Beam would download the job server from Maven Central at run time; newsbeam refuses,
    before reading anything, and says how to set it up."""
    (tmp_path / "a.txt").write_text("Un article.", encoding="utf-8")
    proc = run_cli(
        "run",
        "--input",
        str(tmp_path / "*.txt"),
        "--output",
        str(tmp_path / "out"),
        "--",
        "--runner=FlinkRunner",
        "--flink_master=localhost:1",
        ok=(2,),
        env={"NEWSBEAM_FLINK_JOB_SERVER_JAR": str(tmp_path / "missing.jar")},
    )
    assert "deploy/flink/setup.sh" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_flink_defaults_fill_only_what_the_user_left_out() -> None:
    from pipeline.flink import FLINK_VERSION, with_flink_defaults

    args = ["--runner=FlinkRunner", "--flink_master=localhost:8081"]
    filled = with_flink_defaults(args, jar="/x.jar")
    assert filled == [*args, f"--flink_version={FLINK_VERSION}", "--flink_job_server_jar=/x.jar"]
    mine = ["--runner", "flink", "--flink_version=1.18", "--job_endpoint=host:8099"]
    assert with_flink_defaults(mine, jar="/x.jar") == mine
    assert with_flink_defaults(["--runner=DirectRunner"]) == ["--runner=DirectRunner"]
