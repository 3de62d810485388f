#!/usr/bin/env bash
# Soak: a three-member Concord cluster under mixed load and faults for a
# given time, with its key-value history checked and each member's memory
# and open file descriptors sampled, with the allocator's in-use and held
# bytes from each member's /metrics (what the process holds live against
# what it keeps from the system).
#
# Load, all at once for DURATION seconds:
#   - `concord history record`: CLIENTS clients running get, put, delete and
#     compare-and-swap transactions on KEYS keys, recorded and checked for
#     linearizability at the end with `concord check`;
#   - a watcher (`etcdctl watch --prefix k`) over the same keys;
#   - a lease loop: grant a 2 s lease, put a key with it, keep it alive once;
#   - a lock loop: `etcdctl lock` around a short command;
#   - compaction every COMPACT_INTERVAL seconds to the current revision
#     less COMPACT_KEEP, as an operator (or etcd's --auto-compaction-*)
#     keeps history bounded; without it the store holds every revision and
#     memory grows with the writes.
# Faults, every FAULT_INTERVAL seconds, one at a time: SIGKILL of n2 or n3
# (restarted on its data directory FAULT_SECONDS later), or SIGSTOP of any
# member (resumed FAULT_SECONDS later). n1 is never killed, so its memory
# over the whole run shows whether a long-running member's memory stays flat.
#
# Usage: bench/soak.sh [DURATION_SECONDS]      (default 600)
# Environment:
#   CONCORD_BIN      concord binary (default: .build/release/concord)
#   OUT_DIR          where history, samples and logs are kept (default: a new temporary directory)
#   CLIENTS KEYS     recorder clients and keys (default 6 and 8)
#   SEED             seed of the recorder and of the faults (default 1)
#   FAULT_INTERVAL   seconds between faults (default 10)
#   FAULT_SECONDS    how long a member stays killed or paused (default 2)
#   SAMPLE_INTERVAL  seconds between memory samples (default 10)
#   COMPACT_INTERVAL seconds between compactions, 0 for none (default 30)
#   COMPACT_KEEP     revisions kept by each compaction (default 1000)
#   SERVER_FLAGS     more `concord server` flags, e.g. "--snapshot-count 10000"
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-600}
CONCORD_BIN=${CONCORD_BIN:-.build/release/concord}
CLIENTS=${CLIENTS:-6}
KEYS=${KEYS:-8}
SEED=${SEED:-1}
FAULT_INTERVAL=${FAULT_INTERVAL:-10}
FAULT_SECONDS=${FAULT_SECONDS:-2}
SAMPLE_INTERVAL=${SAMPLE_INTERVAL:-10}
COMPACT_INTERVAL=${COMPACT_INTERVAL:-30}
COMPACT_KEEP=${COMPACT_KEEP:-1000}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t concord-soak.XXXXXX)}
mkdir -p "$OUT_DIR"

[[ -x "$CONCORD_BIN" ]] || { echo "no concord binary at $CONCORD_BIN" >&2; exit 1; }
command -v etcdctl >/dev/null || { echo "etcdctl not installed (apt-get install etcd-client)" >&2; exit 1; }
export ETCDCTL_API=3

WORK=$(mktemp -d -t concord-soak-data.XXXXXX)
source bench/cluster.sh
start_cluster 60
STOP_AT=$((SECONDS + DURATION))
ctl() { etcdctl --endpoints "$ENDPOINTS" --command-timeout=3s "$@"; }

"$CONCORD_BIN" history record --endpoints "$ENDPOINTS" --clients "$CLIENTS" --keys "$KEYS" \
    --operations 10000000 --duration "$DURATION" --request-timeout 1000 --seed "$SEED" --no-progress \
    --output "$OUT_DIR/history.jsonl" 2>"$OUT_DIR/recorder.log" &
RECORDER=$!
EXTRA_PIDS+=("$RECORDER")

# The watcher reconnects (through any member) whenever its stream ends.
(while ((SECONDS < STOP_AT)); do ctl watch --prefix k >>"$OUT_DIR/watch.log" 2>>"$OUT_DIR/watch.err" || sleep 0.5; done) &
EXTRA_PIDS+=("$!")

(ok=0 failed=0; n=0
 while ((SECONDS < STOP_AT)); do
     n=$((n + 1))
     if id=$(ctl lease grant 2 2>/dev/null | awk '{print $2}') && [[ -n "$id" ]] \
         && ctl put --lease="$id" "lease-$((n % 50))" "v$n" >/dev/null 2>&1 \
         && ctl lease keep-alive --once "$id" >/dev/null 2>&1; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
     echo "$ok $failed" >"$OUT_DIR/leases.count"
 done) &
EXTRA_PIDS+=("$!")

(ok=0 failed=0
 while ((SECONDS < STOP_AT)); do
     if ctl lock soak-lock true >/dev/null 2>&1; then ok=$((ok + 1)); else failed=$((failed + 1)); sleep 0.2; fi
     echo "$ok $failed" >"$OUT_DIR/locks.count"
 done) &
EXTRA_PIDS+=("$!")

if ((COMPACT_INTERVAL > 0)); then
    (ok=0 failed=0
     while ((SECONDS < STOP_AT)); do
         sleep "$COMPACT_INTERVAL"
         revision=$(ctl get compact-probe -w json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])' 2>/dev/null || echo 0)
         if ((revision > COMPACT_KEEP)) && ctl compaction "$((revision - COMPACT_KEEP))" >/dev/null 2>&1; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
         echo "$ok $failed" >"$OUT_DIR/compactions.count"
     done) &
    EXTRA_PIDS+=("$!")
fi

echo "elapsed_s,member,pid,rss_kib,open_fds,heap_in_use_kib,heap_held_kib" >"$OUT_DIR/samples.csv"
# allocator PORT: "in-use-KiB,held-KiB" from the member's /metrics, or "," when it does not answer.
allocator() {
    python3 - "$1" <<'PY' 2>/dev/null || echo ","
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=2).read().decode()
values = {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line.startswith("concord_malloc_")}
print("%d,%d" % (values["concord_malloc_in_use_bytes"] // 1024, values["concord_malloc_held_bytes"] // 1024))
PY
}
sample() {
    local elapsed=$1
    for i in 0 1 2; do
        local pid=${PIDS[$i]} rss fds heap
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo "")
        fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l || echo "")
        heap=$(allocator "${METRICS_PORTS[$i]}")
        [[ -n "$rss" ]] && echo "$elapsed,${NAMES[$i]},$pid,$rss,$fds,$heap" >>"$OUT_DIR/samples.csv"
    done
}

RANDOM=$SEED
START=$SECONDS
kills=0
pauses=0
next_fault=$((START + FAULT_INTERVAL))
next_sample=$START
while kill -0 "$RECORDER" 2>/dev/null; do
    if ((SECONDS >= next_sample)); then sample $((SECONDS - START)); next_sample=$((next_sample + SAMPLE_INTERVAL)); fi
    if ((SECONDS >= next_fault && SECONDS < STOP_AT)); then
        if ((RANDOM % 2 == 0)); then
            i=$((1 + RANDOM % 2))
            kill -9 "${PIDS[$i]}" 2>/dev/null || true
            wait "${PIDS[$i]}" 2>/dev/null || true
            sleep "$FAULT_SECONDS"
            start_member "$i" new
            kills=$((kills + 1))
        else
            i=$((RANDOM % 3))
            kill -STOP "${PIDS[$i]}" 2>/dev/null || true
            sleep "$FAULT_SECONDS"
            kill -CONT "${PIDS[$i]}" 2>/dev/null || true
            pauses=$((pauses + 1))
        fi
        next_fault=$((SECONDS + FAULT_INTERVAL))
    fi
    sleep 1
done
status=0
wait "$RECORDER" || status=$?
sample $((SECONDS - START))
((status == 0)) || { echo "the recorder failed (status $status); see $OUT_DIR/recorder.log" >&2; exit "$status"; }

verdict=$("$CONCORD_BIN" check "$OUT_DIR/history.jsonl" 2>&1) && checked=0 || checked=$?
echo "$verdict" >"$OUT_DIR/check.txt"

# column_of MEMBER PICK COLUMN: the first, mid (half time), last or max value of a samples.csv column.
column_of() { awk -F, -v m="$1" -v pick="$2" -v c="$3" -v half="$((DURATION / 2))" 'NR > 1 && $2 == m && $c != "" { if (first == "") first = $c; last = $c; if ($c > max) max = $c; if (mid == "" && $1 >= half) mid = $c }
    END { if (pick == "first") print first; else if (pick == "last") print last; else if (pick == "mid") print mid; else print max }' "$OUT_DIR/samples.csv"; }
rss_of() { column_of "$1" "$2" 4; }
heap_of() { column_of "$1" "$2" 6; }
fds_max=$(awk -F, 'NR > 1 && $5 > max { max = $5 } END { print max }' "$OUT_DIR/samples.csv")
read -r lease_ok lease_failed <"$OUT_DIR/leases.count" || true
read -r lock_ok lock_failed <"$OUT_DIR/locks.count" || true
read -r compact_ok compact_failed <"$OUT_DIR/compactions.count" 2>/dev/null || true
watch_events=$(grep -c -E '^(PUT|DELETE)$' "$OUT_DIR/watch.log" || true)

cat <<REPORT
Soak: ${DURATION} s, three members, seed $SEED; files in $OUT_DIR
recorder:  $(tail -n 1 "$OUT_DIR/recorder.log")
faults:    $kills kills (SIGKILL of n2 or n3, restart after ${FAULT_SECONDS} s), $pauses pauses (SIGSTOP for ${FAULT_SECONDS} s)
watch:     $watch_events events received
leases:    ${lease_ok:-0} grant+put+keep-alive rounds ok, ${lease_failed:-0} failed
locks:     ${lock_ok:-0} acquired and released, ${lock_failed:-0} failed
compacted: ${compact_ok:-0} times (keeping $COMPACT_KEEP revisions), ${compact_failed:-0} failed or skipped
check:     $verdict
n1 memory: RSS $(rss_of n1 first) KiB at start, $(rss_of n1 mid) KiB at half time, $(rss_of n1 last) KiB at the end, $(rss_of n1 max) KiB at most (never killed)
n1 heap:   in use $(heap_of n1 first) KiB at start, $(heap_of n1 mid) KiB at half time, $(heap_of n1 last) KiB at the end, $(heap_of n1 max) KiB at most; held at the end $(column_of n1 last 7) KiB
n2, n3:    RSS at most $(rss_of n2 max) and $(rss_of n3 max) KiB (restarted after each kill)
open fds:  at most $fds_max in any member
REPORT
exit "$checked"
