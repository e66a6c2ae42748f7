#!/usr/bin/env bash
# The command of newsbeam's PROCESS environment (--environment_config, see build.sh). The Flink
# TaskManager runs it with boot's flags (--id=..., --provision_endpoint=...) each time it needs a
# Python SDK harness; it gives Beam's boot program (built by build.sh) a clean, private Python and
# lets boot do the rest: fetch the job's staged artifacts, pip-install them, start
# `python -m apache_beam.runners.worker.sdk_worker_main`.
#
# Why a wrapper instead of boot itself as the command:
#   - a venv WITHOUT system site packages: boot's own venv (/opt/apache/beam-venv, made with
#     `python -m venv --system-site-packages`) would see whatever the host interpreter has
#     installed globally, as boot expects the SDK container image's /usr/local python. Here the
#     venv starts empty (pip, setuptools), and RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT=1 makes boot
#     install into it as it is.
#   - a private semi-persistent directory: boot materializes the artifacts into
#     <semi_persist_dir>/staged, by default /tmp/staged, shared by every worker and job on the host.
#   - installs only from the staged artifacts (PIP_NO_INDEX, PIP_FIND_LINKS): the job stages the
#     SDK wheel (--sdk_location), the project wheel (--extra_package), the pinned requirements file
#     and, through Beam's requirements cache, a wheel for every line of it. The requirements are the
#     complete closure, so no resolution is wanted either (PIP_NO_DEPS): without it boot's
#     `pip install <sdk wheel>[gcp]` would pull ~100 Google Cloud packages (2 min, 800 MB) from PyPI
#     that newsbeam never imports. A missing artifact fails the worker at once instead of
#     installing some other version from PyPI.
#   - the venv is kept for the next harness of the same dependency set. On a Flink session cluster
#     the runner tears the SDK environment down whenever no stage of the job runs on the
#     TaskManager (Beam is loaded by the job's class loader, so it releases environments
#     synchronously and --environment_cache_millis has no effect): a batch job starts a new
#     harness for almost every stage, a dozen per run. Installing the ~400 MB of wheels takes
#     about 80 s; in a kept venv boot's same pip commands find everything satisfied (the SDK, the
#     pinned requirements) and only re-install the project wheel, which boot always forces.
#     The venv is keyed by NEWSBEAM_WORKER_ENV_KEY, a hash of the requirements file and the SDK
#     wheel that build.sh puts in --environment_config next to those artifacts (the same idea as
#     Beam's prebuilt SDK images, tagged by a hash of the dependencies). One venv per concurrent
#     harness: a slot is held with flock for the harness's lifetime (released even on SIGKILL).
#     Without a key, the venv is fresh and removed at exit.
#
# Settings (environment; the env map of --environment_config sets them):
#   NEWSBEAM_WORKER_PYTHON   interpreter the venv is made from (python3); same minor version as
#                            the submitting interpreter (pickled functions cross between them)
#   NEWSBEAM_BOOT            the boot binary (.tools/flink/bin/boot of this checkout)
#   NEWSBEAM_WORKER_ENV_KEY  dependency-set key of the kept venvs (none: a fresh venv each time)
#   NEWSBEAM_WORKER_ROOT     where venvs, worker directories and logs go (/tmp/newsbeam-sdk-workers)
#   NEWSBEAM_WORKER_KEEP_KEYS  how many dependency sets keep their venvs (2; about 1.3 GB each)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BOOT=${NEWSBEAM_BOOT:-$here/../../../.tools/flink/bin/boot}
WORKER_ROOT=${NEWSBEAM_WORKER_ROOT:-/tmp/newsbeam-sdk-workers}
PYTHON=${NEWSBEAM_WORKER_PYTHON:-python3}
KEY=${NEWSBEAM_WORKER_ENV_KEY:-}
KEEP_KEYS=${NEWSBEAM_WORKER_KEEP_KEYS:-2}

id=unknown
for arg in "$@"; do
    case $arg in --id=*) id=${arg#--id=} ;; esac
done
mkdir -p "$WORKER_ROOT/logs" "$WORKER_ROOT/venvs"
dir=$WORKER_ROOT/worker-$id-$$
log=$WORKER_ROOT/logs/worker-$id-$$.log
exec > >(tee -a "$log") 2>&1
say() { echo "[newsbeam worker $id] $(date -u +%FT%TZ) $*"; }
say "boot args: $*"

# Leftovers of workers killed before they could clean up (their pid is gone), and logs > 1 day.
for old in "$WORKER_ROOT"/worker-*; do
    [ -d "$old" ] || continue
    kill -0 "${old##*-}" 2>/dev/null || rm -rf "$old"
done
find "$WORKER_ROOT/logs" -name 'worker-*.log' -mmin +1440 -delete 2>/dev/null || true

# Nothing of the TaskManager's Python surroundings may leak in (an activated venv, PYTHONPATH).
if [ -n "${VIRTUAL_ENV:-}" ]; then
    PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$VIRTUAL_ENV/bin" | paste -sd: -)
fi
unset VIRTUAL_ENV PYTHONPATH PYTHONHOME PYTHONSTARTUP PIP_REQUIRE_VIRTUALENV PIP_USER
mkdir -p "$dir"

if [ -n "$KEY" ]; then
    case $KEY in *[!A-Za-z0-9._-]*) say "bad NEWSBEAM_WORKER_ENV_KEY: $KEY"; exit 2 ;; esac
    keydir=$WORKER_ROOT/venvs/$KEY
    mkdir -p "$keydir"
    touch "$keydir"
    # Claim the first free slot: the lock (fd 9) stays with this script and boot until they exit.
    slot=0
    while :; do
        exec 9>>"$keydir/slot-$slot.lock"
        if flock -n 9; then break; fi
        exec 9>&-
        slot=$((slot + 1))
    done
    venv=$keydir/slot-$slot
    # A venv whose creation was interrupted is made anew.
    if [ ! -f "$venv/.complete" ] || ! "$venv/bin/python" -c '' 2>/dev/null; then
        rm -rf "$venv"
    fi
    # Older dependency sets beyond the newest KEEP_KEYS go, unless a harness holds one of their slots.
    ls -1td "$WORKER_ROOT"/venvs/*/ 2>/dev/null | tail -n +$((KEEP_KEYS + 1)) | while read -r stale; do
        busy=0
        for lock in "$stale"slot-*.lock; do
            [ -e "$lock" ] || continue
            if ! flock -n "$lock" true; then busy=1; fi
        done
        [ "$busy" = 1 ] || rm -rf "$stale"
    done
else
    venv=$dir/venv
fi

if [ -d "$venv" ]; then
    say "reusing venv $venv"
else
    say "creating venv $venv from $(command -v "$PYTHON")"
    "$PYTHON" -m venv "$venv"
    touch "$venv/.complete"
fi

export VIRTUAL_ENV=$venv
export PATH=$venv/bin:$PATH
export RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT=1
export PIP_NO_INDEX=1 PIP_FIND_LINKS=$dir/staged PIP_NO_DEPS=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# No byte-compiling of every installed file (plotly alone has thousands): Python compiles what it
# imports, once, into the kept venv.
export PIP_NO_COMPILE=1
export TMPDIR=$dir/tmp
mkdir -p "$TMPDIR"

cleanup() {
    # Detached: the TaskManager may SIGKILL this script right after boot exits.
    setsid rm -rf "$dir" </dev/null >/dev/null 2>&1 &
}
trap cleanup EXIT

# boot in the background so that the TaskManager's SIGTERM reaches it (boot forwards it to the
# Python workers' process groups); its exit status is this script's.
# From the worker's own directory: boot writes pipeline_options.json into its working directory,
# which is otherwise the TaskManager's.
cd "$dir"
"$BOOT" "$@" --semi_persist_dir="$dir" &
boot_pid=$!
trap 'kill -TERM "$boot_pid" 2>/dev/null || true' TERM INT HUP
status=0
wait "$boot_pid" || status=$?
# A trapped signal ends the first wait early: wait again for boot itself.
if kill -0 "$boot_pid" 2>/dev/null; then wait "$boot_pid" || status=$?; fi
say "boot exited with status $status"
exit "$status"
