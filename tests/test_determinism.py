"""Determinism: the same input gives the same rows and the same file names, whatever the runner does.

Why it matters: idempotent reruns and crash recovery (tests/test_crash_safety.py) rely on a rerun
writing the same files with the same rows, and dedup decisions (which copy is canonical) must not
depend on bundle or worker order. The two runs here go in parallel, one of them with two worker
threads, so element order inside the runner differs between them. (Two worker processes,
`multi_processing`, pass too but cost 15 s more: each process loads spaCy.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from schemas.tables import TABLE_DIRS
from tests.conftest import NEWSBEAM, SEEDS, last_manifest
from tests.test_crash_safety import file_names, stable_file_names, table_rows

FRENCH_CP1252 = "L’Élysée a annoncé jeudi un accord « historique » : 5 € de plus, a dit le ministre."


@pytest.mark.slow
def test_two_runs_of_the_same_input_give_identical_tables_and_file_names(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, inbox / seed.name)
    shutil.copy(next(SEEDS.glob("000_*.txt")), inbox / "005_copy_of_000.txt")  # cross-document duplicates
    (inbox / "006_cp1252.txt").write_bytes(FRENCH_CP1252.encode("cp1252"))
    (inbox / "007_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")  # a rejected row too

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    runner_options = {
        "a": [],
        "b": ["--", "--direct_num_workers=2", "--direct_running_mode=multi_threading"],
    }
    procs = {
        name: subprocess.Popen(
            [str(NEWSBEAM), "run", "--input", str(inbox / "*.txt"), "--output", str(tmp_path / name), *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, extra in runner_options.items()
    }
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 3, (name, out, err)  # 3: finished, one input rejected

    first, second = tmp_path / "a", tmp_path / "b"
    assert last_manifest(first)["run_id"] != last_manifest(second)["run_id"]
    assert last_manifest(first)["counts"] == last_manifest(second)["counts"]
    for table in TABLE_DIRS:
        rows = table_rows(first, table)
        assert rows, table
        assert rows == table_rows(second, table), table
    assert stable_file_names(first) == stable_file_names(second)
    assert len(file_names(first)) == len(file_names(second))  # _state/entity_names: named by run_id
    duplicates = [r for r in table_rows(first, "segments") if ("is_duplicate", True) in r]
    assert len(duplicates) > 20  # the copy of seed 000 really exercised the canonical choice
