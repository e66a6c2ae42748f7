"""What a run shows on the terminal without --verbose: our progress and summary, nothing of Beam's
workers (kept in `DIR/_runs/<run_id>.log`), and a progress count that never repeats or goes back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.progress import ProgressPrinter, documents_done, progress_line
from tests.conftest import last_manifest


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
def test_a_multi_process_run_shows_only_our_lines(newsroom_run: tuple[Path, dict, object]) -> None:
    """219 files (a few hundred real documents): the DirectRunner's two worker processes
    (multi-process from 200 files)."""
    output, counts, proc = newsroom_run
    assert proc.returncode == 3  # ok, but some inputs were rejected
    assert f"{counts['bad_files'] + 1} input(s) rejected, see {output}/rejected/" in proc.stderr
    lines = [line for line in proc.stderr.replace("\r", "\n").splitlines() if line.strip()]
    ours = [line for line in lines if not line.startswith("warning: ")]  # the rejections' one warning
    assert len(lines) - len(ours) == 1 and "rejected" in lines[-1], proc.stderr
    assert all(line.startswith("[newsbeam] ") for line in ours), proc.stderr
    done = [int(re.search(r"\] ([\d,]+)", line).group(1).replace(",", "")) for line in ours]
    assert done == sorted(set(done)), done
    manifest = last_manifest(output)
    documents = sum(counts[k] for k in ("wikinews", "agences", "jsonl_records", "english", "relay"))
    assert manifest["counts"]["documents"] == documents + counts["seeds"]
    assert manifest["counts"]["rejected"] == counts["bad_files"] + 1  # and the broken JSON line
    assert manifest["options"]["beam_args"] == []
    worker_log = output / "_runs" / f"{manifest['run_id']}.log"
    assert worker_log.exists()  # what the workers wrote is kept, not lost


def test_progress_never_shows_more_documents_than_its_total() -> None:
    """The total counts files; JSON Lines files hold many documents each."""
    assert progress_line(50, 100, 10.0).startswith("[newsbeam] 50/100 documents")
    line = progress_line(243, 216, 10.0)
    assert "243 documents" in line and "/216" not in line and "from 216 files" in line
