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

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.analytics import open_table
from pipeline.state_repair import STATE_TABLES, rebuild_state, state_problems
from schemas.tables import PRIMARY_KEYS, TABLE_DIRS, TABLES
from tests.conftest import run_cli

DATA = Path(__file__).resolve().parent / "data" / "wikinews-fr-2012"
#: Columns that differ between two runs of the same input (when, and which run).
RUN_COLUMNS = ("run_id", "ingested_at", "rejected_at")


def rows(root: Path, table: str) -> pa.Table | None:
    """A table's rows without the run columns, sorted by every column (comparable across outputs)."""
    dataset = open_table(root, table)
    if dataset is None:
        return None
    data = dataset.to_table()
    data = data.select([c for c in data.column_names if c not in RUN_COLUMNS])
    keys = [c for c in PRIMARY_KEYS[table] if c in data.column_names] + [
        c
        for c in data.column_names
        if c not in PRIMARY_KEYS[table] and not pa.types.is_list(data.schema.field(c).type)
    ]
    return data.sort_by([(c, "ascending") for c in keys])


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
    before = {name: rows(output, name) for name in STATE_TABLES}
    assert state_problems(output) == {}
    damage(output, table, how)
    problems = state_problems(output)
    assert list(problems) == [table] and problems[table].startswith(how), problems
    rebuild_state(output, list(problems))
    assert state_problems(output) == {}
    for name in STATE_TABLES:
        assert rows(output, name).equals(before[name]), name
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
        expected, got = rows(reference, name), rows(output, name)
        assert (got is None) == (expected is None), name
        if expected is not None:
            assert got.num_rows == expected.num_rows, name  # nothing doubled
            assert got.equals(expected), name
