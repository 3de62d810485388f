#!/usr/bin/env bash
# Concord vs etcd on one machine: starts a 3-member etcd (Debian's etcd-server)
# and a 3-node Concord on loopback, runs the same `concord bench` workloads
# against each (1, 16 and 64 clients; 256-byte values), prints both results
# and their ratios (Concord / etcd), and removes its processes and data.
#
# Both clusters run for the whole script, and every measurement alternates
# between them (etcd, then Concord, for each workload and client count),
# ROUNDS times over. The table reports each side's median over the rounds,
# so a slow spell of the machine weighs on both sides alike instead of on
# whichever happened to run during it.
#
# Two load generators can drive the clusters, each giving its own table:
# `concord bench` (Concord's, the default) and `benchmark`, etcd's own tool
# (tools/benchmark of etcd 3.4.23; bench/etcd-benchmark.sh builds it). With
# etcd's tool a client count C runs with C clients over max(1, C/4) gRPC
# connections, as etcd's documentation runs it (64 clients on 16
# connections). A run in which either tool reports an error is not a
# result: its cell says so.
#
# Usage: bench/vs-etcd.sh
# Environment:
#   CONCORD_BIN   concord binary (default: .build/release/concord; build it with
#                 `swift build -c release --product concord`)
#   TOOLS         load generators, any of "concord etcd-benchmark" (default "concord")
#   ETCD_BENCHMARK  etcd's benchmark binary (default .build-etcd-benchmark/benchmark;
#                 `bench/etcd-benchmark.sh` builds it there)
#   BENCHMARK_WORKLOADS  workloads for etcd's tool, default
#                 "put range range-serializable txn-put watch-latency lease-keepalive stm"
#   TOTAL         requests per run (default: 1000 or 250 per client, whichever is more)
#   CLIENTS       client counts (default "1 16 64")
#   WORKLOADS     default "put range range-serializable txn-put watch"
#   ROUNDS        alternating rounds; the medians are reported (default 3)
#   SKIP_CONCORD  set to 1 to measure etcd alone
#   SKIP_ETCD     set to 1 to measure Concord alone
#   HTML          write every run of both sides to this page (`concord bench-page`):
#                 latency histograms and throughput over time, per workload and
#                 client count, etcd and Concord in their own colours
set -euo pipefail
cd "$(dirname "$0")/.."

CONCORD_BIN=${CONCORD_BIN:-.build/release/concord}
TOTAL=${TOTAL:-}
CLIENTS=${CLIENTS:-"1 16 64"}
WORKLOADS=${WORKLOADS:-"put range range-serializable txn-put watch"}
ROUNDS=${ROUNDS:-3}
HTML=${HTML:-}
TOOLS=${TOOLS:-concord}
ETCD_BENCHMARK=${ETCD_BENCHMARK:-.build-etcd-benchmark/benchmark}
BENCHMARK_WORKLOADS=${BENCHMARK_WORKLOADS:-"put range range-serializable txn-put watch-latency lease-keepalive stm"}
VALUE_SIZE=256
READY_DEADLINE_SECONDS=60

if [[ ${SKIP_CONCORD:-0} != 1 || " $TOOLS " == *" concord "* || -n $HTML ]]; then
    [[ -x "$CONCORD_BIN" ]] || { echo "no concord binary at $CONCORD_BIN" >&2; exit 1; }
fi
for tool in $TOOLS; do
    case $tool in
    concord) ;;
    etcd-benchmark) [[ -x "$ETCD_BENCHMARK" ]] || { echo "no etcd benchmark binary at $ETCD_BENCHMARK (bench/etcd-benchmark.sh builds it)" >&2; exit 1; } ;;
    *) echo "unknown tool '$tool' in TOOLS (expected concord or etcd-benchmark)" >&2; exit 1 ;;
    esac
done
command -v etcd >/dev/null || { echo "etcd not installed (apt-get install etcd-server)" >&2; exit 1; }
command -v etcdctl >/dev/null || { echo "etcdctl not installed (apt-get install etcd-client)" >&2; exit 1; }

WORK=$(mktemp -d -t concord-vs-etcd.XXXXXX)
source bench/sides.sh

KINDS=()
[[ ${SKIP_ETCD:-0} != 1 ]] && KINDS+=(etcd)
[[ ${SKIP_CONCORD:-0} != 1 ]] && KINDS+=(concord)

# measure KIND WORKLOAD CLIENTS: one `concord bench` run, one JSON line in $WORK/KIND.jsonl.
measure() {
    local kind=$1 workload=$2 clients=$3 endpoints connections total populate=""
    endpoints=$(eval echo "\$ENDPOINTS_$kind")
    connections=$((clients < 8 ? clients : 8))
    total=${TOTAL:-$((clients * 250 > 1000 ? clients * 250 : 1000))}
    [[ $workload == range* ]] && populate="--no-populate"
    echo "$kind: $workload, $clients clients (concord bench)" >&2
    "$CONCORD_BIN" bench "$workload" $populate --endpoints "$endpoints" --clients "$clients" --connections "$connections" \
        --total "$total" --value-size "$VALUE_SIZE" --label "$kind" --json --no-progress >>"$WORK/$kind.jsonl" ||
        echo "{\"workload\": \"$workload\", \"clients\": $clients, \"failed\": true}" >>"$WORK/$kind.jsonl"
}

# The key etcd's tool reads in its range workloads (it ranges over one key),
# written once with a value of VALUE_SIZE bytes.
RANGE_KEY=vs-etcd-range

# measure_with_etcd_tool KIND WORKLOAD CLIENTS: one run of etcd's `benchmark`,
# its report reduced to one JSON line in $WORK/KIND-benchmark.jsonl.
measure_with_etcd_tool() {
    local kind=$1 workload=$2 clients=$3 endpoints connections total args out
    endpoints=$(eval echo "\$ENDPOINTS_$kind")
    connections=$((clients / 4 > 1 ? clients / 4 : 1))
    total=${TOTAL:-$((clients * 250 > 1000 ? clients * 250 : 1000))}
    case $workload in
    put) args=(put --key-size 8 --val-size "$VALUE_SIZE" --key-space-size 10000 --total "$total") ;;
    range) args=(range "$RANGE_KEY" --consistency l --total "$total") ;;
    range-serializable) args=(range "$RANGE_KEY" --consistency s --total "$total") ;;
    txn-put) args=(txn-put --key-size 8 --val-size "$VALUE_SIZE" --key-space-size 10000 --total "$total") ;;
    # One put at a time, 200 a second; the latency is from the put's answer
    # to each watcher's event, every client watching the key.
    watch-latency) args=(watch-latency --key-size 8 --val-size "$VALUE_SIZE" --put-rate 200 --total 400) ;;
    lease-keepalive) args=(lease-keepalive --total "$total") ;;
    # Software transactions at etcd's default isolation (repeatable reads):
    # each reads two of 1,000 keys and writes half of what it read.
    stm) args=(stm --keys 1000 --keys-per-txn 2 --val-size "$VALUE_SIZE" --total "$total") ;;
    *) echo "unknown workload '$workload' for etcd's benchmark" >&2; exit 1 ;;
    esac
    echo "$kind: $workload, $clients clients on $connections connections (etcd's benchmark)" >&2
    out=$WORK/benchmark-output
    if "$ETCD_BENCHMARK" --precise --endpoints "$endpoints" --clients "$clients" --conns "$connections" "${args[@]}" >"$out" 2>&1; then
        python3 - "$out" "$workload" "$clients" >>"$WORK/$kind-benchmark.jsonl" <<'PY'
import json, re, sys
text = open(sys.argv[1], errors="replace").read().replace("\r", "\n")
def seconds(pattern):
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None
number = r"([0-9][0-9.]*(?:[eE][-+]?[0-9]+)?)"
rps = seconds(r"Requests/sec:\s*" + number)
p50 = seconds(r"\n\s*50% in " + number + " secs")
p99 = seconds(r"\n\s*99% in " + number + " secs")
errors = 0
if "Error distribution:" in text:
    for n in re.findall(r"^\s*\[(\d+)\]\t", text.split("Error distribution:", 1)[1], re.M):
        errors += int(n)
    errors = max(errors, 1)
row = {"workload": sys.argv[2], "clients": int(sys.argv[3]), "errors": errors}
if rps is None or p50 is None or p99 is None:
    row["failed"] = True
else:
    row["requestsPerSecond"] = rps
    row["latencyMilliseconds"] = {"p50": p50 * 1000, "p99": p99 * 1000}
print(json.dumps(row))
PY
    else
        echo "$kind: etcd's benchmark failed:" >&2
        tail -5 "$out" >&2
        echo "{\"workload\": \"$workload\", \"clients\": $clients, \"failed\": true}" >>"$WORK/$kind-benchmark.jsonl"
    fi
}

echo "machine: $(nproc) cores, $(uname -sr); etcd $(etcd --version | head -1 | awk '{print $3}'); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "each run: --total ${TOTAL:-max(1000, 250 x clients)} --value-size $VALUE_SIZE --key-size 8 --key-space 10000; medians of $ROUNDS alternating rounds"
for kind in "${KINDS[@]}"; do
    start_side "$kind"
    endpoints=$(eval echo "\$ENDPOINTS_$kind")
    if [[ " $TOOLS " == *" concord "* ]]; then
        # The key space is written once first, for the range workloads.
        echo "$kind: writing the key space for the range workloads" >&2
        "$CONCORD_BIN" bench range --endpoints "$endpoints" --clients 64 --connections 8 --total 1 \
            --value-size "$VALUE_SIZE" --no-progress >/dev/null
    fi
    head -c "$VALUE_SIZE" /dev/zero | tr '\0' v | ETCDCTL_API=3 etcdctl --endpoints "$endpoints" put "$RANGE_KEY" >/dev/null
done
for ((round = 1; round <= ROUNDS; round++)); do
    for tool in $TOOLS; do
        if [[ $tool == concord ]]; then workloads=$WORKLOADS; else workloads=$BENCHMARK_WORKLOADS; fi
        for workload in $workloads; do
            for clients in $CLIENTS; do
                for kind in "${KINDS[@]}"; do
                    if [[ $tool == concord ]]; then
                        measure "$kind" "$workload" "$clients"
                    else
                        measure_with_etcd_tool "$kind" "$workload" "$clients"
                    fi
                done
            done
        done
    done
done

cat >"$WORK/table.py" <<'PY'
import json, os, sys
def median(values):
    values = sorted(values)
    return values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
def load(path):
    # Every round's run of a workload and client count, reduced to medians;
    # a cell fails if any of its runs failed or reported an error.
    runs = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line:
                r = json.loads(line)
                runs.setdefault((r["workload"], r["clients"]), []).append(r)
    rows = {}
    for key, rs in runs.items():
        if any(r.get("failed") or r.get("errors", 0) > 0 for r in rs):
            rows[key] = {"failed": True, "errors": sum(r.get("errors", 0) for r in rs)}
            continue
        rows[key] = {
            "requestsPerSecond": median([r["requestsPerSecond"] for r in rs]),
            "latencyMilliseconds": {q: median([r["latencyMilliseconds"][q] for r in rs]) for q in ("p50", "p99")},
            "errors": 0,
        }
    return rows
etcd, concord = load(sys.argv[1]), load(sys.argv[2])
keys = sorted(set(etcd) | set(concord), key=lambda k: (k[0], k[1]))
def cell(r, f):
    if r is None: return "-"
    if r.get("failed"): return "not a result"
    return f(r)
rps = lambda r: "%.0f" % r["requestsPerSecond"]
p50 = lambda r: "%.2f" % r["latencyMilliseconds"]["p50"]
p99 = lambda r: "%.2f" % r["latencyMilliseconds"]["p99"]
def ratio(a, b, f):
    try: return "%.2f" % (f(a) / f(b))
    except Exception: return "-"
print("| workload | clients | etcd req/s | Concord req/s | ratio | etcd p50 ms | Concord p50 ms | etcd p99 ms | Concord p99 ms | p99 ratio | errors etcd/Concord |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for k in keys:
    e, c = etcd.get(k), concord.get(k)
    ok = lambda r: r is not None and not r.get("failed")
    rr = ratio(c, e, lambda r: r["requestsPerSecond"]) if ok(e) and ok(c) else "-"
    pr = ratio(c, e, lambda r: r["latencyMilliseconds"]["p99"]) if ok(e) and ok(c) else "-"
    errs = "%s/%s" % ("-" if e is None else e.get("errors", 0), "-" if c is None else c.get("errors", 0))
    print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (k[0], k[1], cell(e, rps), cell(c, rps), rr, cell(e, p50), cell(c, p50), cell(e, p99), cell(c, p99), pr, errs))
PY
for tool in $TOOLS; do
    if [[ $tool == concord ]]; then
        echo; echo "## measured with concord bench (connections = min(clients, 8))"; echo
        python3 "$WORK/table.py" "$WORK/etcd.jsonl" "$WORK/concord.jsonl"
    else
        echo; echo "## measured with etcd's benchmark (connections = max(1, clients / 4)); watch-latency's req/s counts events delivered (200 puts/s times the watchers)"; echo
        python3 "$WORK/table.py" "$WORK/etcd-benchmark.jsonl" "$WORK/concord-benchmark.jsonl"
    fi
done

if [[ -n $HTML ]]; then
    pages=()
    for kind in "${KINDS[@]}"; do [[ -s $WORK/$kind.jsonl ]] && pages+=("$WORK/$kind.jsonl"); done
    "$CONCORD_BIN" bench-page --title "Concord vs etcd, $(date -u +%Y-%m-%dT%H:%MZ)" --output "$HTML" "${pages[@]}"
fi
