"""Every SQL and Python example of docs/queries.md runs against a real output and answers something.

Why: documentation queries rot silently when a column is renamed or a partition layout changes.
Each fenced `sql` / `python` block is extracted and run against the session's real pipeline run on
the seeds (`seeds_run` in conftest.py: the CLI, once per test session), with the placeholder
folder `out/` replaced by that run's folder; each must return at least one row.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "queries.md"
_BLOCK = re.compile(r"^```(sql|python)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_PLACEHOLDER = re.compile(r"(?<![\w/.])out/")


def _blocks() -> list[tuple[str, str, str]]:
    """(id, language, code) of every sql/python block, ids numbered by their section."""
    blocks, section = [], "0"
    text = DOC.read_text(encoding="utf-8")
    for match in re.finditer(r"^## (\d+)\.|" + _BLOCK.pattern, text, re.MULTILINE | re.DOTALL):
        if match.group(1):
            section = match.group(1)
            continue
        language, code = match.group(2), match.group(3)
        blocks.append((f"q{section}-{language}", language, code))
    return blocks


BLOCKS = _blocks()


@pytest.fixture(scope="module")
def out_dir(seeds_run: tuple[Path, subprocess.CompletedProcess]) -> Path:
    """The seeds output (read only here: the queries never write)."""
    return seeds_run[0]


def _localize(code: str, out: Path) -> str:
    return _PLACEHOLDER.sub(f"{out.as_posix()}/", code)


def test_the_page_has_ten_questions_each_in_sql_and_polars() -> None:
    ids = [block_id for block_id, _, _ in BLOCKS]
    assert ids == [f"q{n}-{lang}" for n in range(1, 11) for lang in ("sql", "python")], ids


@pytest.mark.slow
@pytest.mark.parametrize(("block_id", "language", "code"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_query_returns_rows(block_id: str, language: str, code: str, out_dir: Path) -> None:
    code = _localize(code, out_dir)
    assert "out/" not in code.replace(f"{out_dir.as_posix()}/", ""), "placeholder left in the snippet"
    if language == "sql":
        import duckdb

        con = duckdb.connect()
        try:
            rows = con.sql(code).fetchall()
        finally:
            con.close()
        assert len(rows) >= 1, f"{block_id} returned no row:\n{code}"
    else:
        namespace: dict = {}
        exec(compile(code, f"<docs/queries.md {block_id}>", "exec"), namespace)
        result = namespace.get("result")
        assert result is not None, f"{block_id} must leave its answer in `result`"
        assert len(result) >= 1, f"{block_id} returned no row:\n{code}"
