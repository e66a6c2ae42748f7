#!/usr/bin/env bash
# Delta Lake's Spark jars (delta-spark and delta-storage, from Maven Central) into .tools/delta/
# (git-ignored), for Spark readers of newsbeam's Delta tables (tests/test_delta_log.py; docs/output.md).
# Spark's own `spark.jars.packages` would fetch them at run time; here nothing downloads at run time.
# Idempotent: does nothing when the jars of pipeline/toolchain.env are there.
set -euo pipefail
cd "$(dirname "$0")/../.."

. pipeline/toolchain.env  # DELTA_SPARK_SPARK_MINOR, DELTA_SPARK_VERSION
DEST=.tools/delta
SPARK_JAR="$DEST/delta-spark_${DELTA_SPARK_SPARK_MINOR}_2.13-$DELTA_SPARK_VERSION.jar"
STORAGE_JAR="$DEST/delta-storage-$DELTA_SPARK_VERSION.jar"
if [ -f "$SPARK_JAR" ] && [ -f "$STORAGE_JAR" ]; then
    exit 0
fi
command -v mvn >/dev/null || { echo "[delta] Maven is needed to fetch the Delta Spark jars" >&2; exit 2; }
mkdir -p "$DEST"
echo "[delta] fetching delta-spark $DELTA_SPARK_VERSION for Spark $DELTA_SPARK_SPARK_MINOR from Maven Central" >&2
for artifact in "io.delta:delta-spark_${DELTA_SPARK_SPARK_MINOR}_2.13:$DELTA_SPARK_VERSION" \
        "io.delta:delta-storage:$DELTA_SPARK_VERSION"; do
    mvn -q -B -Dstyle.color=never dependency:copy "-Dartifact=$artifact" "-DoutputDirectory=$DEST" >/dev/null
done
