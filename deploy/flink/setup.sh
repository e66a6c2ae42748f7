#!/usr/bin/env bash
# Set up everything a local Flink run needs, once, into .tools/flink/ (git-ignored):
#   - Beam's Flink job server jar from Maven Central: Beam's own published jar at the Python SDK's
#     version when the registry serves it (mvn dependency:copy); otherwise the same jar shaded by Maven
#     from the parts the registry does serve, at the Beam version of pipeline/toolchain.env
#     (deploy/flink/job-server/pom.xml);
#   - a Flink distribution (bin/, conf/, lib/) taken from the apache-flink and apache-flink-libraries
#     packages on PyPI, which carry Flink's own scripts and jars. They are unpacked, not installed:
#     PyFlink pins an old apache-beam, and the project's venv must not see it.
# Idempotent: does nothing when the stamp matches. Nothing here runs at pipeline run time.
set -euo pipefail
cd "$(dirname "$0")/../.."

. pipeline/toolchain.env  # FLINK_MINOR, FLINK_VERSION, JOB_SERVER_BEAM_VERSION: written there only
BEAM_VERSION=$JOB_SERVER_BEAM_VERSION  # the assembled job server (deploy/flink/job-server/pom.xml)
SDK_VERSION=$(sed -n 's/.*"apache-beam==\([0-9.]*\)".*/\1/p' pyproject.toml)
DEST=.tools/flink
JAR="$DEST/beam-runners-flink-$FLINK_MINOR-job-server-$BEAM_VERSION.jar"
FLINK_HOME_DIR="$DEST/flink-$FLINK_VERSION"
STAMP="$DEST/.stamp"
want=$(cat deploy/flink/setup.sh deploy/flink/job-server/pom.xml pipeline/toolchain.env | sha256sum | cut -d' ' -f1)

OFFICIAL="$DEST/beam-runners-flink-$FLINK_MINOR-job-server-$SDK_VERSION.jar"
if [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ] && { [ -f "$JAR" ] || [ -f "$OFFICIAL" ]; } \
        && [ -x "$FLINK_HOME_DIR/bin/jobmanager.sh" ]; then
    exit 0
fi
command -v mvn >/dev/null || { echo "[flink] Maven is needed to build the job server" >&2; exit 2; }
command -v java >/dev/null || { echo "[flink] Java 11+ is needed to run Flink" >&2; exit 2; }
mkdir -p "$DEST"

if [ ! -f "$OFFICIAL" ] && [ ! -f "$JAR" ]; then
    echo "[flink] fetching Beam's Flink $FLINK_MINOR job server $SDK_VERSION (the SDK's version)" >&2
    mvn -q -B -Dstyle.color=never dependency:copy "-Dartifact=org.apache.beam:beam-runners-flink-$FLINK_MINOR-job-server:$SDK_VERSION" \
        "-DoutputDirectory=$DEST" >/dev/null 2>&1 \
        || echo "[flink] not served by this registry; assembling the job server from its parts instead" >&2
fi
if [ ! -f "$OFFICIAL" ] && [ ! -f "$JAR" ]; then
    echo "[flink] building Beam's Flink $FLINK_MINOR job server $BEAM_VERSION with Maven" >&2
    # target/ is git-ignored (build/ is not the name Maven uses): removed once the jar is copied.
    mvn -q -B -Dstyle.color=never -f deploy/flink/job-server/pom.xml package -DskipTests \
        "-Dbeam.version=$BEAM_VERSION" "-Dflink.minor=$FLINK_MINOR"
    cp deploy/flink/job-server/target/"$(basename "$JAR")" "$JAR"
    rm -rf deploy/flink/job-server/target
fi

if [ ! -x "$FLINK_HOME_DIR/bin/jobmanager.sh" ]; then
    echo "[flink] unpacking Flink $FLINK_VERSION from PyPI's apache-flink packages" >&2
    py=${PYTHON:-python3}
    dl=$(mktemp -d)
    "$py" -m pip download --quiet --disable-pip-version-check --no-deps -d "$dl" \
        "apache-flink==$FLINK_VERSION" "apache-flink-libraries==$FLINK_VERSION"
    tmp="$FLINK_HOME_DIR.partial"
    rm -rf "$tmp" && mkdir -p "$tmp"
    "$py" - "$dl" "$tmp" <<'PY'
import pathlib, sys, tarfile, zipfile
dl, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
wheel = next(dl.glob("apache_flink-*.whl"))
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        for part in ("bin", "conf"):
            prefix = f"pyflink/{part}/"
            if name.startswith(prefix) and not name.endswith("/"):
                target = dest / part / name[len(prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(z.read(name))
sdist = next(dl.glob("apache-flink-libraries-*.tar.gz"))
with tarfile.open(sdist) as t:
    for member in t.getmembers():
        parts = member.name.split("/")
        if len(parts) > 3 and parts[1] == "deps" and parts[2] in ("lib", "bin", "opt") and member.isfile():
            target = dest / parts[2] / "/".join(parts[3:])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(t.extractfile(member).read())
for script in (dest / "bin").iterdir():
    script.chmod(0o755)
PY
    rm -rf "$dl" "$FLINK_HOME_DIR"
    mv "$tmp" "$FLINK_HOME_DIR"
fi
echo "$want" > "$STAMP"
echo "[flink] ready: $(ls "$OFFICIAL" "$JAR" 2>/dev/null | head -1) and $FLINK_HOME_DIR" >&2
