"""Wall time of one input on the DirectRunner and on a real local Flink cluster, side by side.

Usage: .venv/bin/python benchmarks/bench_flink.py [--docs 400] [--dup 30] [--flink-master HOST:PORT]

Generates a corpus of real sentences (bench_pipeline's generator: seeds + French TimeBank, with a
controlled share of repeats), runs `newsbeam run` on it with the DirectRunner (its default: all cores,
multi-process from 200 files) and with `--runner=FlinkRunner --parallelism=2` on a JobManager +
TaskManager started by deploy/flink/cluster.sh (unless --flink-master names a running one), checks that
both wrote the same rows, and prints both wall times and their ratio. Both runs include their own
start-up (model loading; for Flink, the job server JVM and job submission).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_pipeline import write_corpus  # noqa: E402

from schemas.tables import TABLE_DIRS  # noqa: E402
from tests.test_crash_safety import table_rows  # noqa: E402

NEWSBEAM = ROOT / ".venv" / "bin" / "newsbeam"


def timed_run(inputs: str, output: Path, extra: list[str]) -> dict:
    """One `newsbeam run`, timed from process start to exit."""
    cmd = [str(NEWSBEAM), "run", "--input", inputs, "--output", str(output), "--no-progress", *extra]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return {"wall_s": round(wall, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--dup", type=int, default=30, help="percent of repeated sentences")
    parser.add_argument("--flink-master", default=None, help="a running cluster (default: start one)")
    parser.add_argument("--environment-type", default="LOOPBACK")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "newsbeam-bench-flink")
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args()

    corpus = write_corpus(args.workdir / f"corpus-{args.docs}-{args.dup}", args.docs, args.dup)
    inputs = str(corpus.path / "*.txt")
    for name in ("direct", "flink"):
        shutil.rmtree(args.workdir / name, ignore_errors=True)

    cluster_env = {
        **os.environ,
        "FLINK_REST_PORT": "18091",
        "FLINK_RPC_PORT": "16133",
        "FLINK_RUN_DIR": str(args.workdir / "cluster"),
    }
    master = args.flink_master
    if master is None:
        subprocess.run(["bash", str(ROOT / "deploy/flink/setup.sh")], check=True)
        subprocess.run(["bash", str(ROOT / "deploy/flink/cluster.sh"), "start"], check=True, env=cluster_env)
        master = "localhost:18091"
    try:
        direct = timed_run(inputs, args.workdir / "direct", [])
        flink = timed_run(
            inputs,
            args.workdir / "flink",
            [
                "--",
                "--runner=FlinkRunner",
                f"--flink_master={master}",
                f"--environment_type={args.environment_type}",
                "--parallelism=2",
            ],
        )
    finally:
        if args.flink_master is None:
            subprocess.run(["bash", str(ROOT / "deploy/flink/cluster.sh"), "stop"], env=cluster_env)

    different = [
        t
        for t in TABLE_DIRS
        if table_rows(args.workdir / "direct", t) != table_rows(args.workdir / "flink", t)
    ]
    result = {
        "docs": args.docs,
        "dup_percent": args.dup,
        "cores": os.cpu_count(),
        "direct": {**direct, "mode": "DirectRunner, default (multi-process from 200 files)"},
        "flink": {
            **flink,
            "mode": f"FlinkRunner, 1 JobManager + 1 TaskManager, parallelism 2, {args.environment_type}",
        },
        "ratio_flink_over_direct": round(flink["wall_s"] / direct["wall_s"], 2),
        "tables_equal": not different,
        "tables_different": different,
    }
    print(f"{'runner':<68} {'wall s':>8} {'docs/s':>8}")
    for key in ("direct", "flink"):
        run = result[key]
        print(f"{run['mode']:<68} {run['wall_s']:>8.1f} {args.docs / run['wall_s']:>8.2f}")
    print(
        f"ratio Flink / Direct: {result['ratio_flink_over_direct']:.2f}; same rows in every table: "
        f"{'yes' if not different else 'NO: ' + ', '.join(different)}"
    )
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2))
    if different:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
