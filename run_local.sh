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

# Prism, Beam's local streaming engine, for `newsbeam watch`: Beam would download the binary at
# run time, which is not allowed here, so it is built once from Beam's Go module (same version).
BEAM_VERSION=$(sed -n 's/.*"apache-beam==\([0-9.]*\)".*/\1/p' pyproject.toml)
if [ "$(cat .tools/prism.version 2>/dev/null)" != "$BEAM_VERSION" ] || [ ! -x .tools/bin/prism ]; then
    if command -v go >/dev/null 2>&1; then
        echo "[setup] building Prism v$BEAM_VERSION with $(go version | cut -d' ' -f3)" >&2
        mkdir -p .tools/bin
        if GOBIN="$PWD/.tools/bin" go install "github.com/apache/beam/sdks/v2/go/cmd/prism@v$BEAM_VERSION"; then
            echo "$BEAM_VERSION" > .tools/prism.version
        else
            echo "[setup] warning: Prism build failed; 'newsbeam watch' is unavailable" >&2
        fi
    else
        echo "[setup] warning: no Go toolchain; 'newsbeam watch' needs Prism (see README)" >&2
    fi
fi

# Flink (README "Scaling out"): Beam's Flink job server jar, assembled by Maven from Maven Central,
# and a Flink distribution from PyPI, into .tools/flink/ (git-ignored). Once; skipped when done.
if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
    PYTHON="$VENV/bin/python" bash deploy/flink/setup.sh || echo "[setup] warning: Flink set-up failed; FlinkRunner runs are unavailable" >&2
    # Delta Lake's Spark jars (docs/output.md, "Delta Lake"): Spark readers of the Delta tables.
    bash deploy/delta/setup.sh || echo "[setup] warning: Delta Spark jars not fetched; Spark cannot read the Delta logs" >&2
else
    echo "[setup] note: no Java/Maven; FlinkRunner runs are unavailable (README, Scaling out)" >&2
fi

# No model hub or runner download at run time: spaCy models come from PyPI wheels,
# and Beam must not try to fetch the Prism binary (see README, "Runners").
export HF_HUB_OFFLINE=1
if [ -x .tools/bin/prism ]; then
    export NEWSBEAM_PRISM="$PWD/.tools/bin/prism"
fi

if [ "${1:-}" = "test" ]; then
    shift
    # The HTML report test renders in headless Chromium (Debian's package); install it when we can.
    if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
        bash .ci/install-chromium.sh >&2 || echo "[setup] warning: chromium not installed; the report rendering test will be skipped" >&2
    fi
    "$VENV/bin/ruff" check pipeline transforms schemas tests benchmarks deploy
    # One pytest worker per core (pytest-xdist), whole files per worker: module fixtures (the Flink
    # cluster, shared runs) stay in one process. Most tests wait on a single-process CLI run, so on
    # 2 cores two workers cut the suite by about a third (928 s -> 644 s on 2026-11-30).
    # `./run_local.sh test -n 0` runs it in one process. --no-loadscope-reorder: xdist would hand out
    # the files with the most tests first, i.e. the heavy end-to-end files last; tests/conftest.py
    # orders the heaviest files first instead (HEAVY_FIRST), so both workers finish together.
    exec "$VENV/bin/python" -m pytest -n auto --dist loadfile --no-loadscope-reorder "$@"
fi

exec "$VENV/bin/newsbeam" run --input 'seeds/*.txt*' --output out "$@"
