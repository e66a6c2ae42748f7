"""`_state/` can be lost: a missing, damaged or partial state table is rebuilt from the tables, and
the next run writes exactly what it would have written with the state intact (nothing twice).

Issue 21 case 4 reproduced: copy an output, delete (or damage, or truncate) a state table, add
files and rerun. Before the repair this gave 8 document rows for 6 documents; now every table
equals the run on the intact copy, row for row.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.state_repair import STATE_TABLES, rebuild_state, state_problems
from schemas.tables import TABLE_DIRS, TABLES
from tests.conftest import run_cli
from tests.test_crash_safety import table_rows

DATA = Path(__file__).resolve().parent / "data" / "wikinews-fr-2012"


def damage(root: Path, table: str, how: str) -> None:
    folder = root / TABLE_DIRS[table]
    files = sorted(folder.glob("*.parquet"))
    if how == "missing":
        shutil.rmtree(folder)
    elif how == "damaged":
        files[0].write_bytes(files[0].read_bytes()[:-25])
    elif how == "partial":
        data = pq.read_table(files[0])
        pq.write_table(data.slice(0, data.num_rows // 2), files[0])


@pytest.fixture(scope="module")
def new_input(tmp_path_factory: pytest.TempPathFactory, seeds_input: Path) -> Path:
    """What the next run brings: two real articles and a seed under another name (a copy)."""
    folder = tmp_path_factory.mktemp("next")
    for path in sorted(DATA.glob("*.txt"))[:2]:
        shutil.copy(path, folder / path.name)
    seed = sorted(seeds_input.glob("0*.txt"))[0]
    shutil.copy(seed, folder / f"copy-of-{seed.name}")
    return folder


@pytest.fixture(scope="module")
def reference(seeds_run: tuple[Path, subprocess.CompletedProcess], new_input: Path, tmp_path_factory) -> Path:
    """The next run on an intact copy of the seeds output."""
    output = tmp_path_factory.mktemp("reference") / "out"
    shutil.copytree(seeds_run[0], output)
    run_cli("run", "-i", str(new_input), "-o", str(output))
    return output


@pytest.mark.parametrize("how", ["missing", "damaged", "partial"])
@pytest.mark.parametrize("table", STATE_TABLES)
def test_each_state_table_lost_damaged_or_partial_is_found_and_rebuilt_exactly(
    seeds_run: tuple[Path, subprocess.CompletedProcess], tmp_path: Path, table: str, how: str
) -> None:
    output = tmp_path / "out"
    shutil.copytree(seeds_run[0], output)
    before = {name: table_rows(output, name) for name in STATE_TABLES}
    assert state_problems(output) == {}
    damage(output, table, how)
    problems = state_problems(output)
    assert list(problems) == [table] and problems[table].startswith(how), problems
    rebuild_state(output, list(problems))
    assert state_problems(output) == {}
    for name in STATE_TABLES:
        assert table_rows(output, name) == before[name], name
    if how == "damaged":  # kept for a post-mortem, out of the readers' way
        assert len(list((output / "_state" / ".damaged").glob("*.parquet"))) == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("table", "how"),
    [("state_documents", "missing"), ("state_entity_names", "partial")],
)  # the other cases rebuild the same rows (test above); these two decide what is ingested and the ids
def test_a_run_after_losing_state_writes_what_the_intact_run_writes(
    seeds_run: tuple[Path, subprocess.CompletedProcess],
    new_input: Path,
    reference: Path,
    tmp_path: Path,
    table: str,
    how: str,
) -> None:
    output = tmp_path / "out"
    shutil.copytree(seeds_run[0], output)
    damage(output, table, how)
    proc = run_cli("run", "-i", str(new_input), "-o", str(output))
    assert f"{TABLE_DIRS[table]}: {how}" in proc.stderr and "rebuilt from the tables" in proc.stderr
    for name in TABLES:
        folder = TABLE_DIRS[name]
        assert (output / folder).is_dir() == (reference / folder).is_dir(), name
        expected, got = table_rows(reference, name), table_rows(output, name)
        assert len(got) == len(expected), name  # nothing doubled
        assert got == expected, name


def test_a_killed_rebuild_leaves_nothing_the_next_one_keeps(
    seeds_run: tuple[Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    """A rebuild killed after writing its new file, or after moving the old files aside: the next
    rebuild removes both leftovers and ends with the same rows."""
    output = tmp_path / "out"
    shutil.copytree(seeds_run[0], output)
    before = table_rows(output, "state_segments")
    folder = output / TABLE_DIRS["state_segments"]
    (folder / ".rebuild-4242.parquet.tmp").write_bytes(b"PAR1 half")
    aside = folder.parent / f".{folder.name}-replaced-20261203T000000000000"
    aside.mkdir()
    shutil.copy(next(folder.glob("*.parquet")), aside / "old.parquet")
    rebuild_state(output, ["state_segments"])
    assert not list(folder.glob(".rebuild-*")) and not aside.exists()
    assert table_rows(output, "state_segments") == before
