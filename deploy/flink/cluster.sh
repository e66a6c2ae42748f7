#!/usr/bin/env bash
# A real local Flink session cluster: one JobManager and one TaskManager, each its own JVM process,
# started with Flink's own daemon scripts from the distribution deploy/flink/setup.sh unpacked.
#   deploy/flink/cluster.sh start    start both, wait until the TaskManager has registered its slots
#   deploy/flink/cluster.sh stop     stop both
#   deploy/flink/cluster.sh status   print the REST overview
# Settings (environment): FLINK_REST_PORT (8081), FLINK_RPC_PORT (6123), FLINK_SLOTS (2 = parallelism),
# FLINK_TM_MEMORY (3g), FLINK_RUN_DIR (.tools/flink/run: generated conf/, log/, pid/).
set -euo pipefail
cd "$(dirname "$0")/../.."

. pipeline/toolchain.env  # FLINK_VERSION
export FLINK_HOME="$PWD/.tools/flink/flink-$FLINK_VERSION"
RUN_DIR=${FLINK_RUN_DIR:-$PWD/.tools/flink/run}
PORT=${FLINK_REST_PORT:-8081}
SLOTS=${FLINK_SLOTS:-2}
export FLINK_CONF_DIR="$RUN_DIR/conf"
export FLINK_LOG_DIR="$RUN_DIR/log"
export FLINK_PID_DIR="$RUN_DIR/pid"

overview() { curl -sf -m 5 "http://localhost:$PORT/overview"; }

case "${1:-}" in
start)
    [ -x "$FLINK_HOME/bin/jobmanager.sh" ] || bash deploy/flink/setup.sh
    mkdir -p "$FLINK_CONF_DIR" "$FLINK_LOG_DIR" "$FLINK_PID_DIR"
    cp "$FLINK_HOME"/conf/log4j*.properties "$FLINK_CONF_DIR/"
    # Flink's own config.yaml keeps the Java 17 --add-opens flags; only what differs is overridden.
    sed -e "s/^\(\s*numberOfTaskSlots:\).*/\1 $SLOTS/" \
        -e "s/^\(\s*default:\) 1$/\1 $SLOTS/" \
        -e "s/^\(\s*\)# port: 8081$/\1port: $PORT/" \
        -e "s/^\(\s*port:\) 6123$/\1 ${FLINK_RPC_PORT:-6123}/" \
        -e "s/^\(\s*size:\) 1728m$/\1 ${FLINK_TM_MEMORY:-3g}/" \
        "$FLINK_HOME/conf/config.yaml" > "$FLINK_CONF_DIR/config.yaml"
    # The pipeline has a dozen shuffles; Flink's default network memory (64 MB) cannot hold their
    # buffers at parallelism 2 ("Insufficient number of network buffers").
    # Direct memory for the artifact service: with PROCESS workers the TaskManager streams the
    # staged wheels (about 400 MB) to each starting worker, ten files at a time.
    printf '%s\n' "taskmanager.memory.network.min: 256m" "taskmanager.memory.network.max: 512m" \
        "taskmanager.memory.task.off-heap.size: 512m" >> "$FLINK_CONF_DIR/config.yaml"
    if overview >/dev/null 2>&1; then
        echo "[flink] a cluster already answers on port $PORT" >&2
        exit 1
    fi
    "$FLINK_HOME/bin/jobmanager.sh" start >/dev/null
    "$FLINK_HOME/bin/taskmanager.sh" start >/dev/null
    for _ in $(seq 1 120); do
        slots=$( (overview 2>/dev/null || true) | sed -n 's/.*"slots-total":\([0-9]*\).*/\1/p')
        if [ -n "$slots" ] && [ "$slots" -ge "$SLOTS" ]; then
            echo "[flink] cluster up: JobManager on localhost:$PORT, 1 TaskManager, $slots slots" >&2
            exit 0
        fi
        sleep 1
    done
    echo "[flink] cluster did not come up; logs in $FLINK_LOG_DIR" >&2
    tail -n 30 "$FLINK_LOG_DIR"/*.log >&2 || true
    exit 1
    ;;
stop)
    "$FLINK_HOME/bin/taskmanager.sh" stop >/dev/null 2>&1 || true
    "$FLINK_HOME/bin/jobmanager.sh" stop >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do
        overview >/dev/null 2>&1 || { echo "[flink] cluster stopped" >&2; exit 0; }
        sleep 1
    done
    echo "[flink] cluster still answers on port $PORT" >&2
    exit 1
    ;;
status)
    overview && echo
    ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
