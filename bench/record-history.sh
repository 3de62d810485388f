#!/usr/bin/env bash
# Records a kv history from a real three-node Concord cluster under faults,
# for `concord check` (and for comparing checkers on the same file).
#
# Starts three `concord server` processes on loopback, runs
# `concord history record` against them (get, put, delete and cas on a few
# keys), and meanwhile, every FAULT_INTERVAL seconds, picks a member at
# random and either kills it with SIGKILL and restarts it on the same data
# directory after FAULT_SECONDS, or pauses it with SIGSTOP and resumes it
# with SIGCONT after FAULT_SECONDS. At most one member is down or paused at
# a time, so a majority stays. The history is written to OUT; the script
# then checks it once with `concord check`.
#
# Usage: bench/record-history.sh OUT.jsonl
# Environment:
#   CONCORD_BIN     concord binary (default: .build/release/concord)
#   OPERATIONS      operations to invoke (default 45000)
#   KEYS            keys (default 5)
#   CLIENTS         concurrent clients (default 12)
#   SEED            seed of the clients' choices and of the faults (default 1)
#   FAULT_INTERVAL  seconds between faults (default 3)
#   FAULT_SECONDS   how long a member stays killed or paused (default 1)
#   REQUEST_TIMEOUT client request timeout in ms (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:?usage: bench/record-history.sh OUT.jsonl}
CONCORD_BIN=${CONCORD_BIN:-.build/release/concord}
OPERATIONS=${OPERATIONS:-45000}
KEYS=${KEYS:-5}
CLIENTS=${CLIENTS:-12}
SEED=${SEED:-1}
FAULT_INTERVAL=${FAULT_INTERVAL:-3}
FAULT_SECONDS=${FAULT_SECONDS:-1}
REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-1000}
READY_DEADLINE_SECONDS=60

[[ -x "$CONCORD_BIN" ]] || { echo "no concord binary at $CONCORD_BIN" >&2; exit 1; }
command -v etcdctl >/dev/null || { echo "etcdctl not installed (apt-get install etcd-client)" >&2; exit 1; }

WORK=$(mktemp -d -t concord-record.XXXXXX)
source bench/cluster.sh
start_cluster "$READY_DEADLINE_SECONDS"

"$CONCORD_BIN" history record --endpoints "$ENDPOINTS" --clients "$CLIENTS" --keys "$KEYS" \
    --operations "$OPERATIONS" --request-timeout "$REQUEST_TIMEOUT" --seed "$SEED" --no-progress --output "$OUT" &
RECORDER=$!
EXTRA_PIDS+=("$RECORDER")

RANDOM=$SEED
kills=0
pauses=0
while kill -0 "$RECORDER" 2>/dev/null; do
    sleep "$FAULT_INTERVAL"
    kill -0 "$RECORDER" 2>/dev/null || break
    i=$((RANDOM % 3))
    if ((RANDOM % 2 == 0)); then
        kill -9 "${PIDS[$i]}" 2>/dev/null || true
        wait "${PIDS[$i]}" 2>/dev/null || true
        sleep "$FAULT_SECONDS"
        start_member "$i" new
        kills=$((kills + 1))
    else
        kill -STOP "${PIDS[$i]}" 2>/dev/null || true
        sleep "$FAULT_SECONDS"
        kill -CONT "${PIDS[$i]}" 2>/dev/null || true
        pauses=$((pauses + 1))
    fi
done
status=0
wait "$RECORDER" || status=$?
RECORDER=0
((status == 0)) || { echo "the recorder failed (status $status)" >&2; exit "$status"; }
echo "faults: $kills kills (SIGKILL, restart after ${FAULT_SECONDS}s), $pauses pauses (SIGSTOP for ${FAULT_SECONDS}s)" >&2
echo "history: $OUT ($(wc -l <"$OUT") events)" >&2
"$CONCORD_BIN" check "$OUT"
