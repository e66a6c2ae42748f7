"""What a run shows on the terminal without --verbose: our progress and summary, nothing of Beam's
workers (kept in `DIR/_runs/<run_id>.log`), and a progress count that never repeats or goes back."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline.progress import ProgressPrinter, documents_done
from tests.conftest import SEEDS, last_manifest, run_cli


def test_progress_sums_the_workers_and_never_goes_back(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "a").write_text("7")
    (tmp_path / "b").write_text("5")
    (tmp_path / "c.tmp").write_text("100")  # a count being replaced: read next time
    assert documents_done(tmp_path) == 12
    printer = ProgressPrinter(tmp_path, expected=20)
    with printer:
        for done in (12, 12, 9, 15):
            printer.show(done)
    shown = [int(m) for m in re.findall(r"\] (\d+)/20", capsys.readouterr().err)]
    assert shown == [12, 15]


@pytest.mark.slow
def test_a_multi_process_run_shows_only_our_lines(tmp_path: Path) -> None:
    """250 files: the DirectRunner's two worker processes (multi-process from 200 files)."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    for copy in range(50):
        for seed in sorted(SEEDS.glob("*.txt")):
            shutil.copy(seed, inbox / f"{copy:02d}-{seed.name}")
    output = tmp_path / "out"
    proc = run_cli("run", "-i", str(inbox), "-o", str(output))
    lines = [line for line in proc.stderr.replace("\r", "\n").splitlines() if line.strip()]
    assert all(line.startswith("[newsbeam] ") for line in lines), proc.stderr
    counts = [int(re.search(r"\] ([\d,]+)", line).group(1).replace(",", "")) for line in lines]
    assert counts == sorted(set(counts)), counts
    manifest = last_manifest(output)
    assert manifest["counts"]["documents"] == 250
    assert manifest["options"]["beam_args"] == []
    worker_log = output / "_runs" / f"{manifest['run_id']}.log"
    assert worker_log.exists()  # what the workers wrote is kept, not lost
