"""Every mistake a user can make on the command line: one line on stderr, the README's exit code,
nothing written. The real `newsbeam` console script, as a user runs it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import SEEDS, last_manifest, query, run_cli, table_sql

USAGE, FAILED = 2, 1


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    """The only line on stderr, which says `error: ...`."""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def two_seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("two-seeds")
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, folder / seed.name)
    return folder


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--shard", "2"], ["No such option: --shard", "--shards"]),
        (["--runner=FlinkRunner"], ["--runner", "Beam pipeline option", "after `--`"]),
        (["--", "--direct_num_workrs=2"], ["unknown Beam pipeline option(s): --direct_num_workrs"]),
        (["--", "--direct_num_workers=two"], ["--direct_num_workers", "invalid int value"]),
        (["--dedup-decision", "sometimes"], ["--dedup-decision", "sometimes"]),
        (["--", "FlinkRunner"], ["unknown Beam pipeline option(s): FlinkRunner"]),
        (["--max-document-bytes", "-5"], ["--max-document-bytes", "greater than or equal to 1"]),
        (["--shards", "0"], ["--shards"]),
    ],
)
def test_a_mistyped_option_is_a_usage_error_that_names_it(
    args: list[str], expected: list[str], two_seeds: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out"
    proc = run_cli("run", "-i", str(two_seeds / "*.txt"), "-o", str(output), *args, ok=(USAGE,))
    line = one_error_line(proc)
    for part in expected:
        assert part in line, line
    assert not output.exists()


def test_a_misspelt_required_option_is_named_not_reported_missing(tmp_path: Path) -> None:
    line = one_error_line(run_cli("run", "--inptu", "x", "-o", str(tmp_path / "o"), ok=(USAGE,)))
    assert "--inptu" in line and "Missing" not in line


def test_an_unknown_command_is_one_line() -> None:
    assert "rnu" in one_error_line(run_cli("rnu", ok=(USAGE,)))


def test_an_input_that_matches_nothing_is_a_usage_error_unless_allowed(
    two_seeds: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out"
    typo = str(two_seeds.parent / "no-such-folder" / "*.txt")
    line = one_error_line(run_cli("run", "-i", typo, "-o", str(output), ok=(USAGE,)))
    assert typo in line and "--allow-empty" in line
    assert not output.exists()
    # one of two inputs matching nothing is a mistake too
    proc = run_cli("run", "-i", str(two_seeds / "*.txt"), "-i", typo, "-o", str(output), ok=(USAGE,))
    assert typo in one_error_line(proc)
    allowed = run_cli("run", "-i", typo, "-o", str(output), "--allow-empty")
    assert "nothing to ingest" in allowed.stdout
    assert not output.exists()


def test_an_output_that_is_a_file_is_a_usage_error(two_seeds: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "out.txt"
    a_file.write_text("not a folder")
    line = one_error_line(run_cli("run", "-i", str(two_seeds), "-o", str(a_file), ok=(USAGE,)))
    assert "is a file" in line
    assert a_file.read_text() == "not a folder"


@pytest.mark.parametrize("command", [["stats"], ["report", "--out", "r.html"], ["compact"]])
def test_reading_commands_on_what_is_not_an_output_are_usage_errors(
    command: list[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope"
    assert "no such folder" in one_error_line(run_cli(command[0], str(missing), *command[1:], ok=(USAGE,)))
    (tmp_path / "a.txt").write_text("x")
    assert "is a file" in one_error_line(
        run_cli(command[0], str(tmp_path / "a.txt"), *command[1:], ok=(USAGE,))
    )
    (tmp_path / "empty").mkdir()
    proc = run_cli(command[0], str(tmp_path / "empty"), *command[1:], ok=(USAGE,))
    assert "not a newsbeam output" in one_error_line(proc)


def _cut_footer(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-20])


def test_a_damaged_file_is_named_by_every_command(
    seeds_run: tuple[Path, subprocess.CompletedProcess], seeds_input: Path, tmp_path: Path
) -> None:
    output = tmp_path / "copy"
    shutil.copytree(seeds_run[0], output)
    damaged = sorted((output / "documents").rglob("*.parquet"))[0]
    _cut_footer(damaged)
    for command in (["stats"], ["report", "--out", str(tmp_path / "r.html")]):
        line = one_error_line(run_cli(command[0], str(output), *command[1:], ok=(FAILED,)))
        assert str(damaged) in line and "damaged Parquet file" in line, line
    compacted = run_cli("compact", str(output), ok=(3,))  # the partition is skipped, and said so
    assert f"skipped: {damaged}: damaged Parquet file" in compacted.stdout
    assert damaged.exists()

    before = sorted(p.relative_to(output) for p in output.rglob("*"))
    line = one_error_line(run_cli("run", "-i", str(seeds_input / "*.txt"), "-o", str(output), ok=(FAILED,)))
    assert str(damaged) in line and "damaged Parquet file" in line, line  # data cannot be rebuilt
    assert sorted(p.relative_to(output) for p in output.rglob("*")) == before  # nothing written

    damaged.unlink()
    state = sorted((output / "_state" / "segments").glob("*.parquet"))[0]
    _cut_footer(state)  # a cache of the tables: moved aside and rebuilt (tests/test_state_repair.py)
    proc = run_cli("run", "-i", str(seeds_input / "*.txt"), "-o", str(output), ok=(3,))  # 2 rejected
    assert f"_state/segments: damaged file {state.name}; rebuilt from the tables" in proc.stderr
    assert (output / "_state" / ".damaged" / f"state_segments-{state.name}").is_file()


def test_an_unexpected_failure_is_one_line_and_its_traceback_only_with_verbose(
    seeds_run: tuple[Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    unwritable = tmp_path  # a folder where the HTML file should go
    line = one_error_line(run_cli("report", str(seeds_run[0]), "--out", str(unwritable), ok=(FAILED,)))
    assert "--verbose" in line
    verbose = run_cli("report", str(seeds_run[0]), "--out", str(unwritable), "--verbose", ok=(FAILED,))
    assert "Traceback" in verbose.stderr


def test_a_folder_as_input_means_its_files_and_the_printed_run_id_is_the_written_one(
    two_seeds: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    shutil.copytree(two_seeds, folder)
    (folder / ".swap.txt").write_text("an editor's swap file: hidden, not an input")
    output = tmp_path / "out"
    printed = run_cli("run", "-i", str(folder), "-o", str(output)).stdout
    manifest = last_manifest(output)
    assert manifest["counts"]["documents"] == 2 and manifest["counts"]["rejected"] == 0
    assert printed.startswith(f"newsbeam run {manifest['run_id']} -> "), printed
    assert query(f"select distinct run_id from {table_sql(output, 'documents')}") == [(manifest["run_id"],)]


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create or write: a mode-0500 folder for a normal user; for root
    (whom modes do not stop) a path under /sys, a read-only filesystem."""
    import os

    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        return locked / "out"
    target = Path("/sys/newsbeam-test-output")
    try:
        target.mkdir()
    except OSError:
        return target
    target.rmdir()
    pytest.skip("no read-only place to write to on this machine")


def test_a_read_only_output_is_one_line_before_any_work(two_seeds: Path, tmp_path: Path) -> None:
    output = _read_only_folder(tmp_path)
    line = one_error_line(run_cli("run", "-i", str(two_seeds), "-o", str(output), ok=(USAGE,)))
    assert f"cannot write to --output '{output}'" in line, line


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 1 MiB tmpfs (needs mount rights: root in a container), unmounted after the test."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_is_one_line_and_a_rerun_with_space_is_right(two_seeds: Path, small_disk: Path) -> None:
    """The disk fills while the run writes: one line saying so, nothing committed; with space freed,
    the rerun ingests everything once."""
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * (1024 * 1024 - 48 * 1024))  # leaves ~48 KiB: the run's files need more
    output = small_disk / "out"
    proc = run_cli("run", "-i", str(two_seeds), "-o", str(output), ok=(FAILED,))
    [line] = [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith("[newsbeam]")]
    assert f"no space left on the device of the output '{output}'" in line, line
    assert not list((output).glob("documents/**/*.parquet"))  # nothing committed
    filler.unlink()
    run_cli("run", "-i", str(two_seeds), "-o", str(output))
    assert last_manifest(output)["counts"]["documents"] == 2
    [(rows,)] = query(f"SELECT count(*) FROM {table_sql(output, 'documents')}")
    assert rows == 2
