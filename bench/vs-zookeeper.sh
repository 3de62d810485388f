#!/usr/bin/env bash
# Concord's ZooKeeper face side by side with Apache ZooKeeper 3.8: three
# ZooKeeper members (Debian's `zookeeper`) and three `concord server`
# processes on loopback, started here, and the same kazoo load against
# both (bench/zookeeper_load.py), alternating which goes first:
#
#   - create, set and get throughput, 16 clients (one session each);
#   - kazoo Lock acquire+release cycles per second, 8 contenders;
#   - Election handover: after the leader resigns, and after the leader's
#     client is killed (SIGKILL; the handover then waits for its session,
#     4 s, to expire).
#
#   bench/vs-zookeeper.sh [SECONDS_PER_RUN] [ROUNDS]    # defaults 5 and 2
#
# Concord runs the release build (.build/release/concord, built if absent),
# or the binary CONCORD_BINARY names. SYSTEMS="concord" (or "zookeeper")
# runs one side only; WORKLOADS picks among create, set, get, lock, resign
# and kill (default all), e.g. WORKLOADS="set get" for an A/B of two builds.
# Both sides use a 2 s tick and 4 s sessions, fsync on every write (ZooKeeper's
# default forceSync=yes; Concord's WAL always syncs), and 256 MiB heaps for Java.
# Prints a table of medians and Concord/ZooKeeper ratios, and writes the raw
# runs to a JSON-lines file it names.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-2}
binary=${CONCORD_BINARY:-.build/release/concord}
[[ -x $binary ]] || swift build -c release --product concord
dir=$(mktemp -d /tmp/vs-zookeeper.XXXXXX)
results="$dir/runs.jsonl"
zk_base=12481
concord_base=13581
load() { /usr/bin/python3 bench/zookeeper_load.py "$@" 2>&1 | grep -a '^{' || true; }

concord_pids=()
cleanup() {
    for pid in "${concord_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    bench/zookeeper-ensemble.sh stop "$dir/zookeeper" || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

systems=${SYSTEMS:-zookeeper concord}
chosen=${WORKLOADS:-create set get lock resign kill}
[[ " $systems " == *" zookeeper "* ]] && bench/zookeeper-ensemble.sh start "$dir/zookeeper" "$zk_base" >/dev/null
zookeeper_hosts="127.0.0.1:$zk_base,127.0.0.1:$((zk_base + 1)),127.0.0.1:$((zk_base + 2))"
concord_hosts="127.0.0.1:$concord_base,127.0.0.1:$((concord_base + 1)),127.0.0.1:$((concord_base + 2))"
if [[ " $systems " == *" concord "* ]]; then
    cluster=""
    for i in 1 2 3; do cluster+="n$i=http://127.0.0.1:$((concord_base + 100 + i)),"; done
    for i in 1 2 3; do
        $binary server --name "n$i" --data-dir "$dir/concord/n$i" \
            --listen-peer-urls "http://127.0.0.1:$((concord_base + 100 + i))" \
            --listen-client-urls "http://127.0.0.1:$((concord_base + 200 + i))" \
            --listen-zookeeper-urls "zk://127.0.0.1:$((concord_base + i - 1))" \
            --initial-cluster "${cluster%,}" --log-level warning > "$dir/concord-n$i.log" 2>&1 &
        concord_pids+=($!)
    done
    for attempt in $(seq 100); do
        /usr/bin/python3 -c "from kazoo.client import KazooClient as K; z = K('$concord_hosts'); z.start(timeout=2); z.ensure_path('/ready'); z.stop()" \
            >/dev/null 2>&1 && break
        [[ $attempt == 100 ]] && { echo "the Concord cluster did not start" >&2; exit 1; }
        sleep 0.3
    done
fi

workloads=()
for name in $chosen; do
    case $name in
        create | set | get) workloads+=("throughput $name 16 $seconds") ;;
        lock) workloads+=("lock 8 $seconds") ;;
        resign) workloads+=("handover resign 3") ;;
        kill) workloads+=("handover kill 1") ;;
        *) echo "unknown workload $name" >&2; exit 2 ;;
    esac
done
for round in $(seq "$rounds"); do
    for workload in "${workloads[@]}"; do
        if (( round % 2 )); then order="zookeeper concord"; else order="concord zookeeper"; fi
        for system in $order; do
            [[ " $systems " == *" $system "* ]] || continue
            hosts=$zookeeper_hosts; [[ $system == concord ]] && hosts=$concord_hosts
            # shellcheck disable=SC2086
            load "$hosts" $workload | sed "s/^{/{\"system\": \"$system\", /" | tee -a "$results"
        done
    done
done

/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def value(run):
    return run["per_second"] if "per_second" in run else run["median_seconds"]
rows = {}
for run in runs:
    rows.setdefault(run["run"], {}).setdefault(run["system"], []).append(value(run))
print()
print("| workload | ZooKeeper 3.8 | Concord | Concord / ZooKeeper |")
print("| --- | ---: | ---: | ---: |")
names = {"create": "create, 16 clients (ops/s)", "set": "set, 16 clients (ops/s)", "get": "get, 16 clients (ops/s)",
         "lock": "lock acquire+release, 8 contenders (cycles/s)", "handover-resign": "handover after resign (s)",
         "handover-kill": "handover after kill -9 of the leader's client (s)"}
for name in ["create", "set", "get", "lock", "handover-resign", "handover-kill"]:
    if name not in rows:
        continue
    zk = statistics.median(rows[name].get("zookeeper", [float("nan")]))
    concord = statistics.median(rows[name].get("concord", [float("nan")]))
    print("| %s | %.4g | %.4g | %.2f |" % (names[name], zk, concord, concord / zk if zk else float("nan")))
PY
echo "raw runs: $results"
trap - EXIT
cleanup
