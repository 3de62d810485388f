#!/usr/bin/env bash
# Concord vs etcd at scale, one machine: for each side in turn, a fresh
# three-member cluster on loopback is loaded with KEYS keys of VALUE_SIZE
# bytes, then measured:
#   - the time to load (64 clients on 8 connections, `concord bench`), and
#     the Raft term before and after it (each step is an election); a load
#     that fails is reported with its error and the side's other figures
#     are skipped;
#   - each member's resident memory (VmRSS) once loaded;
#   - a range of RANGE_LIMIT consecutive keys, linearizable and
#     serializable, p50/p99 over RANGE_TOTAL requests from one client;
#   - the time a follower killed with kill -9 takes, once restarted, to
#     reach the leader's revision after CATCH_UP_WRITES more puts were made
#     without it (more than SNAPSHOT_COUNT + 5,000, so that both sides'
#     leaders have compacted their logs past it and must send a snapshot),
#     and its resident memory then and at its peak since the restart
#     (VmHWM: recovery, receiving and installing the snapshot);
#   - the size of each data directory after compacting to the current
#     revision (physically) and defragmenting every member.
# The sides run one after the other, each alone on the machine, and each
# side's processes end before the next starts.
#
# Usage: bench/scale.sh
# Environment:
#   CONCORD_BIN      concord binary (default .build/release/concord;
#                    `swift build -c release --product concord`)
#   SIDES            default "etcd concord"
#   KEYS             default 1000000
#   VALUE_SIZE       default 256
#   RANGE_LIMIT      default 10000
#   RANGE_TOTAL      default 100
#   SNAPSHOT_COUNT   --snapshot-count of both sides (default 10000)
#   CATCH_UP_WRITES  default 30000
set -euo pipefail
cd "$(dirname "$0")/.."

CONCORD_BIN=${CONCORD_BIN:-.build/release/concord}
SIDES=${SIDES:-"etcd concord"}
KEYS=${KEYS:-1000000}
VALUE_SIZE=${VALUE_SIZE:-256}
RANGE_LIMIT=${RANGE_LIMIT:-10000}
RANGE_TOTAL=${RANGE_TOTAL:-100}
SNAPSHOT_COUNT=${SNAPSHOT_COUNT:-10000}
CATCH_UP_WRITES=${CATCH_UP_WRITES:-30000}
READY_DEADLINE_SECONDS=120
CATCH_UP_DEADLINE_SECONDS=900

[[ -x "$CONCORD_BIN" ]] || { echo "no concord binary at $CONCORD_BIN" >&2; exit 1; }
command -v etcd >/dev/null || { echo "etcd not installed (apt-get install etcd-server)" >&2; exit 1; }
command -v etcdctl >/dev/null || { echo "etcdctl not installed (apt-get install etcd-client)" >&2; exit 1; }
((RANGE_LIMIT <= KEYS)) || { echo "RANGE_LIMIT must not exceed KEYS" >&2; exit 1; }

WORK=$(mktemp -d -t concord-scale.XXXXXX)
# etcd's default backend quota (2 GiB) would refuse a large KEYS.
ETCD_FLAGS="--snapshot-count $SNAPSHOT_COUNT --quota-backend-bytes 8589934592"
CONCORD_FLAGS="--snapshot-count $SNAPSHOT_COUNT"
source bench/sides.sh

ctl() { ETCDCTL_API=3 etcdctl --command-timeout=60s "$@"; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
# peak_rss_mb PID: the most resident memory the process has had (VmHWM).
peak_rss_mb() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
json_field() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# term ENDPOINT: the Raft term the member is in.
term() { ctl --endpoints "$1" endpoint status -w json | json_field 'd[0]["Status"].get("raftTerm", d[0]["Status"]["header"].get("raft_term"))'; }

# revision ENDPOINT: the revision the member itself has applied (a serializable read).
revision() { ctl --endpoints "$1" get sides-probe --consistency=s -w json | json_field 'd["header"]["revision"]'; }

# leader_index SIDE: 0, 1 or 2.
leader_index() {
    local i status
    for i in 0 1 2; do
        status=$(ctl --endpoints "$(side_endpoint "$1" "$i")" endpoint status -w json 2>/dev/null) || continue
        if [[ $(json_field 'd[0]["Status"]["leader"] == d[0]["Status"]["header"]["member_id"]' <<<"$status") == True ]]; then
            echo "$i"; return
        fi
    done
    echo "no leader on $1" >&2; exit 1
}

stop_side() {
    local i pid
    for i in 0 1 2; do
        pid=$(side_pid "$1" "$i")
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}

# bench_json ARGS...: one `concord bench` run; prints "p50 p99" in ms.
bench_json() {
    "$CONCORD_BIN" bench "$@" --json --no-progress |
        json_field '"%s %s %d" % (round(d["latencyMilliseconds"]["p50"], 2), round(d["latencyMilliseconds"]["p99"], 2), d["errors"])'
}

RESULTS=$WORK/results
: >"$RESULTS"
record() { echo "$1|$2|$3" >>"$RESULTS"; }

echo "machine: $(nproc) cores, $(uname -sr); etcd $(etcd --version | head -1 | awk '{print $3}'); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "keys $KEYS, values $VALUE_SIZE bytes, range $RANGE_LIMIT keys, snapshot count $SNAPSHOT_COUNT, $CATCH_UP_WRITES writes while a follower is down"
for side in $SIDES; do
    start_side "$side"
    endpoints=$(eval echo "\$ENDPOINTS_$side")

    echo "$side: loading $KEYS keys" >&2
    term_before=$(term "$(side_endpoint "$side" 0)")
    began=$(now)
    # A range run writes every key of its key space first; its one read is negligible.
    if ! failure=$("$CONCORD_BIN" bench range --endpoints "$endpoints" --clients 64 --connections 8 --total 1 \
        --key-space "$KEYS" --value-size "$VALUE_SIZE" --no-progress 2>&1 >/dev/null); then
        # A load that fails is a result too: say when and how, and the
        # elections it went through, then go on with the other side.
        record "$side" "load, seconds" "failed after $(elapsed "$began" "$(now)"): ${failure//$'\n'/ }"
        record "$side" "leader elections during the load (Raft term before → after)" "$term_before → $(term "$(side_endpoint "$side" 0)")"
        stop_side "$side"
        continue
    fi
    record "$side" "load, seconds" "$(elapsed "$began" "$(now)")"
    record "$side" "leader elections during the load (Raft term before → after)" "$term_before → $(term "$(side_endpoint "$side" 0)")"
    sleep 5
    rss=""
    for i in 0 1 2; do rss+="${rss:+ / }$(rss_mb "$(side_pid "$side" "$i")")"; done
    record "$side" "memory once loaded, MB (n1 / n2 / n3)" "$rss"

    echo "$side: ranges of $RANGE_LIMIT keys" >&2
    read -r p50 p99 errors < <(bench_json range --no-populate --endpoints "$endpoints" --clients 1 --connections 1 \
        --total "$RANGE_TOTAL" --key-space "$KEYS" --range-limit "$RANGE_LIMIT")
    record "$side" "range of $RANGE_LIMIT keys, linearizable, p50 / p99 ms" "$p50 / $p99 ($errors errors)"
    read -r p50 p99 errors < <(bench_json range-serializable --no-populate --endpoints "$endpoints" --clients 1 --connections 1 \
        --total "$RANGE_TOTAL" --key-space "$KEYS" --range-limit "$RANGE_LIMIT")
    record "$side" "range of $RANGE_LIMIT keys, serializable, p50 / p99 ms" "$p50 / $p99 ($errors errors)"

    leader=$(leader_index "$side")
    follower=$(((leader + 1) % 3))
    other=$(((leader + 2) % 3))
    echo "$side: kill -9 of n$((follower + 1)), $CATCH_UP_WRITES writes without it" >&2
    kill -9 "$(side_pid "$side" "$follower")"
    wait "$(side_pid "$side" "$follower")" 2>/dev/null || true
    "$CONCORD_BIN" bench put --endpoints "$(side_endpoint "$side" "$leader"),$(side_endpoint "$side" "$other")" \
        --clients 64 --connections 8 --total "$CATCH_UP_WRITES" --key-space "$KEYS" --value-size "$VALUE_SIZE" --no-progress >/dev/null
    target=$(revision "$(side_endpoint "$side" "$leader")")
    began=$(now)
    start_side_member "$side" "$follower"
    deadline=$((SECONDS + CATCH_UP_DEADLINE_SECONDS))
    until [[ $(revision "$(side_endpoint "$side" "$follower")" 2>/dev/null || echo 0) -ge $target ]]; do
        ((SECONDS < deadline)) || { echo "$side: n$((follower + 1)) did not catch up within ${CATCH_UP_DEADLINE_SECONDS}s" >&2; exit 1; }
        sleep 0.1
    done
    record "$side" "restarted follower reaches the leader's revision, seconds" "$(elapsed "$began" "$(now)")"
    record "$side" "its memory after catching up, MB" "$(rss_mb "$(side_pid "$side" "$follower")")"
    record "$side" "its peak memory since the restart, MB" "$(peak_rss_mb "$(side_pid "$side" "$follower")")"

    echo "$side: compacting and defragmenting" >&2
    target=$(revision "$(side_endpoint "$side" "$leader")")
    ctl --endpoints "$endpoints" compact "$target" --physical >/dev/null
    ctl --endpoints "$endpoints" defrag >/dev/null
    sizes=""
    for i in 0 1 2; do sizes+="${sizes:+ / }$(du -sm "$(side_data_dir "$side" "$i")" | cut -f1)"; done
    record "$side" "data directory after compaction and defragmentation, MB (n1 / n2 / n3)" "$sizes"
    stop_side "$side"
done

python3 - "$RESULTS" <<'PY'
import sys
rows, sides = {}, []
for line in open(sys.argv[1]):
    side, what, value = line.rstrip("\n").split("|")
    if side not in sides: sides.append(side)
    rows.setdefault(what, {})[side] = value
print()
print("| | " + " | ".join(sides) + " |")
print("| --- | " + " | ".join("---:" for _ in sides) + " |")
for what, values in rows.items():
    print("| %s | %s |" % (what, " | ".join(values.get(s, "-") for s in sides)))
PY
