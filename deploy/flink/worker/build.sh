#!/usr/bin/env bash
# Build what a Flink run with --environment_type=PROCESS needs, idempotently, into .tools/flink/
# (git-ignored). Nothing here runs on the workers; everything the workers install travels with the
# job through Beam's artifact staging. Produces:
#
#   .tools/flink/bin/boot                 Beam's Python SDK harness boot program (the ENTRYPOINT of
#                                         the apache/beam_python SDK container image), built with Go
#                                         from the Go module proxy at the SDK's exact version: boot
#                                         and the SDK speak the same provisioning/artifact protocol.
#   .tools/flink/worker/sdk/apache_beam-*.whl
#                                         the SDK wheel, staged with --sdk_location: boot pip-installs
#                                         it into the worker's fresh venv (no SDK on the worker host).
#   .tools/flink/worker/dist/newsbeam-*.whl
#                                         the project, staged with --extra_package; rebuilt when a
#                                         source file changes. Built from a copy of the sources, so
#                                         the shared work tree gets no build/ or egg-info.
#   .tools/flink/worker/requirements.txt  the pinned runtime closure (deploy/flink/worker/requirements.py),
#                                         staged with --requirements_file; Beam's requirements cache
#                                         downloads each line's wheel at submission and stages it.
#   .tools/flink/worker/beam-args         the Beam options of a PROCESS run, one a line:
#                                         `newsbeam run ... -- --runner=FlinkRunner ... $(cat .tools/flink/worker/beam-args)`
#
# Needs: go (module proxy), the project venv (.venv, for the SDK version and the dependency
# metadata), pip with PyPI (the SDK wheel, the build backend of the project wheel).
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
VENV_PY=${VENV_PY:-$ROOT/.venv/bin/python}
BIN=$ROOT/.tools/flink/bin
OUT=$ROOT/.tools/flink/worker
mkdir -p "$BIN" "$OUT/sdk" "$OUT/dist"

BEAM_VERSION=$("$VENV_PY" -c 'import apache_beam; print(apache_beam.__version__)')
PY_TAG=$("$VENV_PY" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')
PY_MINOR=$("$VENV_PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')

# 1. boot. The Go package is sdks/python/container of module github.com/apache/beam/sdks/v2; go
# install names the binary after the directory (container), so it is renamed. GONOSUMDB: the
# checksum database is not reachable here, only the module proxy.
if [ "$(cat "$BIN/boot.version" 2>/dev/null)" != "$BEAM_VERSION" ] || [ ! -x "$BIN/boot" ]; then
    echo "[worker] building Beam's Python SDK boot $BEAM_VERSION" >&2
    gobin=$(mktemp -d)
    GOBIN=$gobin GONOSUMDB=github.com/apache/beam GOFLAGS=-mod=mod CGO_ENABLED=0 \
        go install "github.com/apache/beam/sdks/v2/python/container@v$BEAM_VERSION"
    mv "$gobin/container" "$BIN/boot"
    rm -rf "$gobin"
    echo "$BEAM_VERSION" > "$BIN/boot.version"
fi

# 2. The SDK wheel, the one pip would install for the submitting interpreter (cpXY, manylinux).
# boot only installs a staged SDK whose file name starts with apache_beam and holds cpXY.
sdk=$(ls "$OUT"/sdk/apache_beam-"$BEAM_VERSION"-cp"$PY_TAG"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$sdk" ]; then
    echo "[worker] downloading the apache-beam $BEAM_VERSION wheel for cp$PY_TAG" >&2
    "$VENV_PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
        --implementation cp --python-version "$PY_MINOR" \
        --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
        -d "$OUT/sdk" "apache-beam==$BEAM_VERSION"
    sdk=$(ls "$OUT"/sdk/apache_beam-"$BEAM_VERSION"-cp"$PY_TAG"-*.whl | head -n 1)
fi

# 3. The project wheel, rebuilt when the packaged sources change (hash of their contents).
sources=(pyproject.toml README.md pipeline transforms schemas)
src_hash=$(find "${sources[@]}" -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | sort -z \
    | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
wheel=$(ls "$OUT"/dist/newsbeam-*.whl 2>/dev/null | head -n 1 || true)
if [ "$(cat "$OUT/dist/.stamp" 2>/dev/null)" != "$src_hash" ] || [ -z "$wheel" ]; then
    echo "[worker] building the newsbeam wheel" >&2
    tmp=$(mktemp -d)
    mkdir -p "$tmp/src"
    tar -C "$ROOT" --exclude=__pycache__ --exclude='*.pyc' -cf - "${sources[@]}" | tar -C "$tmp/src" -xf -
    # Build isolation: pip fetches the build backend pyproject.toml asks for (setuptools>=68).
    "$VENV_PY" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$tmp/dist" "$tmp/src"
    rm -f "$OUT"/dist/newsbeam-*.whl
    mv "$tmp"/dist/newsbeam-*.whl "$OUT/dist/"
    rm -rf "$tmp"
    echo "$src_hash" > "$OUT/dist/.stamp"
    wheel=$(ls "$OUT"/dist/newsbeam-*.whl | head -n 1)
fi

# 4. The pinned runtime requirements (cheap: always regenerated, so a constraints bump is seen).
"$VENV_PY" deploy/flink/worker/requirements.py pyproject.toml constraints.txt > "$OUT/requirements.txt.new"
mv "$OUT/requirements.txt.new" "$OUT/requirements.txt"

# 5. The Beam options of a PROCESS run. The env map of environment_config is set on the boot
# process by the TaskManager (see boot-process.sh): NEWSBEAM_WORKER_PYTHON names the interpreter
# the worker venv is made from (same minor version as the submitting one: pickled functions cross
# between them); NEWSBEAM_WORKER_ENV_KEY names the dependency set (requirements, SDK wheel, Python),
# under which the workers keep their installed venv between the harnesses of a run and across runs.
# The project wheel is not in the key: boot force-reinstalls it into every harness anyway.
key=$( (cat "$OUT/requirements.txt"; basename "$sdk"; sha256sum < "$sdk"; echo "$PY_MINOR") \
    | sha256sum | cut -c1-16)
# No spaces in the JSON: the file is meant for $(cat ...), which splits words.
config=$(printf '{"command":"%s","env":{"NEWSBEAM_WORKER_PYTHON":"python%s","NEWSBEAM_BOOT":"%s","NEWSBEAM_WORKER_ENV_KEY":"%s"}}' \
    "$ROOT/deploy/flink/worker/boot-process.sh" "$PY_MINOR" "$BIN/boot" "$key")
cat > "$OUT/beam-args" <<EOF
--environment_type=PROCESS
--environment_config=$config
--sdk_location=$sdk
--extra_package=$wheel
--requirements_file=$OUT/requirements.txt
--requirements_cache=$OUT/requirements-cache
EOF
echo "[worker] ready: $BIN/boot, $sdk, $wheel, $OUT/requirements.txt; options in $OUT/beam-args" >&2
