"""What a run matches, and under which name: special files never opened, every match accounted for,
and one file one identity whatever the spelling of its path. The real CLI on real files."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.conftest import NEWSBEAM, SEEDS, last_manifest, query, run_cli, table_sql


def test_special_files_are_rejected_not_opened_and_every_match_is_counted(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))[:2]
    for seed in seeds:
        shutil.copy(seed, inbox / seed.name)
    os.mkfifo(inbox / "pipe.txt")  # opening it would block forever
    (inbox / "gone.txt").symlink_to(tmp_path / "deleted.txt")  # dangling
    (inbox / "folder.txt").mkdir()  # a directory that matches the glob
    output = tmp_path / "out"
    started = time.monotonic()
    proc = subprocess.run(
        [str(NEWSBEAM), "run", "-i", str(inbox / "*.txt"), "-o", str(output)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    assert time.monotonic() - started < 120  # did not hang on the FIFO
    counts = last_manifest(output)["counts"]
    assert (counts["files_read"], counts["documents"], counts["rejected"]) == (5, 2, 3)
    rejected = query(f"select source, reason, detail from {table_sql(output, 'rejected')} order by source")
    assert [(Path(s).name, r) for s, r, _ in rejected] == [
        ("folder.txt", "not_a_regular_file"),
        ("gone.txt", "not_a_regular_file"),
        ("pipe.txt", "not_a_regular_file"),
    ]
    assert [d.rsplit(" is ", 1)[1] for _, _, d in rejected] == ["a directory", "a dangling symlink", "a FIFO"]


def test_one_file_has_one_identity_whatever_the_spelling_of_its_path(tmp_path: Path) -> None:
    inbox = tmp_path / "seedsin"
    inbox.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:3]:
        shutil.copy(seed, inbox / seed.name)
    output = tmp_path / "out"
    run_cli("run", "-i", "seedsin/*.txt", "-o", str(output), cwd=tmp_path)
    spellings = ("-i", str(inbox / "*.txt"), "-i", "./seedsin/*.txt", "-i", "seedsin/../seedsin/0*.txt")
    run_cli("run", *spellings, "-o", str(output), cwd=tmp_path)  # each file matched three times
    counts = last_manifest(output)["counts"]
    assert (counts["files_read"], counts["skipped_already_ingested"], counts["documents"]) == (3, 3, 0)
    sources = query(f"select source from {table_sql(output, 'documents')} order by 1")
    assert [s for (s,) in sources] == [str(inbox / p.name) for p in sorted(inbox.glob("*.txt"))]

    # the same relative name under two working directories is two files, not two revisions
    other = tmp_path / "elsewhere"
    (other / "seedsin").mkdir(parents=True)
    first = sorted(inbox.glob("*.txt"))[0]
    (other / "seedsin" / first.name).write_text(first.read_text(encoding="utf-8") + "\nAutre fin.\n")
    run_cli("run", "-i", "seedsin/*.txt", "-o", str(output), cwd=other)
    revisions = query(f"select max(revision), count(*) from {table_sql(output, 'documents')}")
    assert revisions == [(1, 4)]
