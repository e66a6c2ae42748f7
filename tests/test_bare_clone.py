"""A bare clone passes its own tests: nothing the tests or benchmarks read lives outside the repository.

Why a static check as well as the fresh-clone CI run: the project was once developed beside a
`../shared/` folder of evaluation data that a clone from the repository does not have, and tests that
quietly read it failed (or skipped) elsewhere. Every corpus a test uses is vendored under
`tests/data/` with its licence; this test fails when code reaches for a sibling folder again.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import ROOT, TIMEBANK

#: A path leaving the repository for a sibling folder: `../shared`, `parents[2] / "shared"`,
#: `ROOT.parent / ...`.
_OUTSIDE = re.compile(r"\.\./shared|/ \"shared\"|parents\[2\]|ROOT\.parent\b")
_CODE = ("pipeline", "transforms", "schemas", "tests", "benchmarks", "deploy")


def _tracked(*patterns: str) -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return out.stdout.splitlines()


def test_no_code_reads_a_folder_beside_the_repository() -> None:
    offenders = []
    for folder in _CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "tests" / "test_bare_clone.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if _OUTSIDE.search(line) and not line.lstrip().startswith("#"):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_vendored_corpora_are_committed_with_their_licences() -> None:
    timebank = _tracked("tests/data/french-timebank-dev")
    assert len([p for p in timebank if p.endswith(".tml")]) == len(list(TIMEBANK.glob("*.tml"))) == 54
    assert "tests/data/french-timebank-dev/LICENSE" in timebank
    wikinews = _tracked("tests/data/wikinews-fr-2012")
    assert len([p for p in wikinews if re.search(r"/\d+\.txt$", p)]) == 100
    assert "tests/data/wikinews-fr-2012/README.md" in wikinews  # CC BY 2.5 attribution
