"""Recurring operation: incremental runs, the output lock, exit codes and the run manifest."""

from __future__ import annotations

import fcntl
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.lock import RunLock
from tests.conftest import ROOT, SEEDS, last_manifest, query, run_cli


def test_incremental_runs_process_only_new_files(tmp_path: Path) -> None:
    inbox, output = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for seed in seeds[:2]:
        shutil.copy(seed, inbox / seed.name)
    pattern = str(inbox / "*.txt")
    run_cli("run", "--input", pattern, "--output", str(output))
    files_after_first = sorted(p.relative_to(output) for p in output.rglob("*.parquet"))

    run_cli("run", "--input", pattern, "--output", str(output))  # nothing new
    second = last_manifest(output)
    assert second["counts"]["documents"] == 0 and second["counts"]["skipped_already_ingested"] == 2
    assert second["counts"]["rows"] == {}
    assert sorted(p.relative_to(output) for p in output.rglob("*.parquet")) == files_after_first

    shutil.copy(seeds[2], inbox / seeds[2].name)  # a new file lands
    run_cli("run", "--input", pattern, "--output", str(output))
    third = last_manifest(output)
    assert third["counts"]["documents"] == 1 and third["counts"]["skipped_already_ingested"] == 2
    assert query(
        f"select count(*) from read_parquet('{output}/documents/**/*.parquet', hive_partitioning=true)"
    ) == [(3,)]
    for key in ("run_id", "started_at", "finished_at", "inputs", "options", "versions", "counts"):
        assert key in third


def test_second_concurrent_run_is_refused_with_exit_75(tmp_path: Path) -> None:
    """While a live process holds the output's lock (here a process that takes `RunLock` as a run
    does, and waits), `newsbeam run` on the same output is refused at once with exit 75. Why not
    two real runs: the first had to be long enough to still hold the lock when the second started
    (a race, and 50 s of NER)."""
    output = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pipeline.lock import RunLock\n"
         f"with RunLock({str(output)!r}, 'holder'):\n    print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        second = run_cli("run", "--input", str(SEEDS / "*.txt"), "--output", str(output), check=False)
        assert second.returncode == 75
        assert "locked by another run" in second.stderr
    finally:
        holder.communicate(timeout=60)
    assert holder.returncode == 0 and not (output / "_lock").exists()


@pytest.mark.parametrize("content", ["dead", "", "garbage {", "[1, 2]"])
def test_a_lock_no_live_process_holds_is_taken_whatever_it_says(tmp_path: Path, content: str) -> None:
    """A killed run's record, and what a full disk leaves (an empty file) or any garbage: only a
    live holder of the kernel lock counts (the real lock on a real file, in-process)."""
    if content == "dead":
        dead = subprocess.Popen(["true"])
        dead.wait()
        content = json.dumps({"pid": dead.pid, "host": socket.gethostname(), "run_id": "old"})
    (tmp_path / "_lock").write_text(content)
    with RunLock(str(tmp_path), "new") as lock:
        assert json.loads(lock.path.read_text())["run_id"] == "new"
    assert not (tmp_path / "_lock").exists()


def test_a_live_holder_with_an_unreadable_record_still_holds_the_lock(tmp_path: Path) -> None:
    output = tmp_path / "out"
    output.mkdir()
    with open(output / "_lock", "w") as held:  # empty: as if its record could not be written
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = run_cli("run", "--input", str(SEEDS / "000_*.txt"), "--output", str(output), ok=(75,))
    assert "held by a live process" in proc.stderr
    assert not (output / "documents").exists()


def test_changed_file_becomes_a_revision_not_an_unrelated_copy(tmp_path: Path) -> None:
    inbox, output = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    seed = next(SEEDS.glob("004_*.txt"))
    target = inbox / seed.name
    target.write_bytes(seed.read_bytes())
    run_cli("run", "--input", str(inbox / "*.txt"), "--output", str(output))
    target.write_text(seed.read_text() + " Une phrase ajoutée à la dépêche après sa première publication.")
    run_cli("run", "--input", str(inbox / "*.txt"), "--output", str(output))
    counts = last_manifest(output)["counts"]
    assert counts["documents"] == 1 and counts["skipped_already_ingested"] == 0
    docs = query(
        f"select doc_id, revision, supersedes, is_duplicate, n_duplicate_segments, clean_text "
        f"from read_parquet('{output}/documents/**/*.parquet', hive_partitioning=true) order by revision"
    )
    (first_id, rev1, sup1, _, _, _), (_, rev2, sup2, dup2, n_dup2, clean2) = docs
    assert (rev1, sup1, rev2, sup2) == (1, None, 2, first_id)
    # the new revision is whole: its unchanged sentences are not "copies" of its own previous revision
    assert dup2 is False
    assert n_dup2 == 1  # only the lede repeated inside 004 itself (near duplicate)
    assert clean2.endswith("après sa première publication.")


def test_chunked_run_gives_the_rows_of_one_run(tmp_path: Path) -> None:
    """Large inputs run as consecutive chunks (bounded memory); on the seeds, whose repeats are
    inside single documents, the result is the same rows as one run (entity canonicals aside: a
    chunk clusters with the history seen so far; the final clusters are the same, under the id
    each was first published with), and every chunk leaves its own manifest."""
    from schemas.tables import TABLE_DIRS
    from tests.test_crash_safety import table_rows

    one, chunked = tmp_path / "one", tmp_path / "chunked"
    run_cli("run", "--input", str(SEEDS / "*.txt"), "--output", str(one))
    proc = run_cli("run", "--input", str(SEEDS / "*.txt"), "--output", str(chunked), "--chunk-files", "2")
    assert "(3 chunks)" in proc.stdout and "documents                5" in proc.stdout
    assert len(list((chunked / "_runs").glob("*.json"))) == 3
    for table in TABLE_DIRS:
        if table in ("state_entity_names", "state_entity_ids", "entities", "entity_clusters"):
            continue  # per-run state deltas; and a mention's canonical follows the history seen so far
        assert table_rows(chunked, table) == table_rows(one, table), table

    def live_clusters(output: Path) -> list[tuple]:
        rows = [dict(row[1:]) for row in table_rows(output, "entity_clusters")]
        return sorted((tuple(sorted((k, v) for k, v in r.items() if k != "entity_id")) for r in rows
                       if r["merged_into"] is None), key=repr)  # fmt: skip

    assert live_clusters(chunked) == live_clusters(one)
    mentions = "select segment_id, start_char, end_char, text from read_parquet('{}/entities/**/*.parquet')"
    mentions += " order by all"
    assert query(mentions.format(chunked)) == query(mentions.format(one))
    chunks = sorted(json.loads(m.read_text())["options"]["chunk"] for m in (chunked / "_runs").glob("*.json"))
    assert chunks == ["1/3", "2/3", "3/3"]


def test_cli_chunk_default_is_the_runner_default() -> None:
    """The CLI repeats the default as a literal (importing the runner would slow `--help`): keep it equal."""
    import inspect

    from pipeline import cli, runner

    default = inspect.signature(cli.run).parameters["chunk_files"].default
    assert (
        default
        == runner.DEFAULT_CHUNK_FILES
        == inspect.signature(runner.run_batch).parameters["chunk_files"].default
    )
