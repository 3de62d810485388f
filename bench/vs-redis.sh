#!/usr/bin/env bash
# Concord's Redis face vs Redis on one machine: starts a single Redis
# (Debian's redis-server 7.0) twice over, without an append-only file and
# with `appendonly yes, appendfsync everysec`, and a three-member Concord
# with `--listen-redis-urls`, and runs the same `redis-benchmark` commands
# against each: SET, GET and INCR over 10,000 random keys, 50 clients,
# without pipelining (-P 1) and 16 commands deep (-P 16).
#
# Concord is measured twice: at W = R = 1 (every command sent as
# `CONCORD.WITH ONE <command>`) and at the connection's default level,
# QUORUM (W = R = 2 of N = 3). Every command reaches the first member,
# which coordinates it over the three replicas, as a Redis client pointed
# at one server would. Redis's rows run the plain commands.
#
# Every measurement alternates between the four configurations, ROUNDS
# times over, and the table reports each one's median, so a slow spell of
# the machine weighs on all of them alike. Ratio is Concord / Redis without
# an append-only file (above 1 is better for throughput). A run that
# got an error reply from the server is not a result: its cell says so.
#
# Usage: bench/vs-redis.sh
# Environment:
#   CONCORD_BIN  concord binary (default .build/release/concord; build it with
#                `swift build -c release --product concord`)
#   REQUESTS     requests per run (default 100000)
#   CLIENTS      redis-benchmark clients (default 50)
#   PIPELINES    pipeline depths (default "1 16")
#   COMMANDS     any of "set get incr" (default all three)
#   VALUE_SIZE   bytes per SET value (default 3, redis-benchmark's own default)
#   ROUNDS       alternating rounds; medians are reported (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."

CONCORD_BIN=${CONCORD_BIN:-.build/release/concord}
REQUESTS=${REQUESTS:-100000}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
COMMANDS=${COMMANDS:-"set get incr"}
VALUE_SIZE=${VALUE_SIZE:-3}
ROUNDS=${ROUNDS:-3}
KEY_SPACE=10000
READY_DEADLINE_SECONDS=60

[[ -x "$CONCORD_BIN" ]] || { echo "no concord binary at $CONCORD_BIN" >&2; exit 1; }
for tool in redis-server redis-benchmark redis-cli etcdctl; do
    command -v $tool >/dev/null || { echo "$tool not installed (apt-get install redis-server redis-tools etcd-client)" >&2; exit 1; }
done

WORK=$(mktemp -d -t concord-vs-redis.XXXXXX)
source bench/sides.sh

# Redis: one server without persistence, one with an fsync every second.
REDIS_PORT_none=$(free_port)
REDIS_PORT_everysec=$(free_port)
for mode in none everysec; do
    port=$(eval echo "\$REDIS_PORT_$mode")
    mkdir -p "$WORK/redis-$mode"
    if [[ $mode == none ]]; then aof=(--appendonly no); else aof=(--appendonly yes --appendfsync everysec); fi
    redis-server --port "$port" --bind 127.0.0.1 --dir "$WORK/redis-$mode" --save '' "${aof[@]}" \
        --logfile "$WORK/redis-$mode/log" --daemonize no &
    PIDS+=($!)
done

# Concord: three members, each with its own Redis port.
for i in 0 1 2; do
    eval "CONCORD_REDIS_PORT_$i=$(free_port)"
    eval "CONCORD_FLAGS_$i=\"--listen-redis-urls redis://127.0.0.1:\$CONCORD_REDIS_PORT_$i\""
done
start_side concord

# wait_redis PORT: until a SET at the connection's default level is answered OK.
wait_redis() {
    local deadline=$((SECONDS + READY_DEADLINE_SECONDS))
    until [[ $(redis-cli -p "$1" set vs-redis-probe 1 2>/dev/null) == OK ]]; do
        if ((SECONDS > deadline)); then echo "no Redis server answering on port $1 within ${READY_DEADLINE_SECONDS}s" >&2; exit 1; fi
        sleep 0.2
    done
}
wait_redis "$REDIS_PORT_none"
wait_redis "$REDIS_PORT_everysec"
for i in 0 1 2; do wait_redis "$(eval echo "\$CONCORD_REDIS_PORT_$i")"; done

CONFIGS=(redis redis-everysec concord-one concord-quorum)
VALUE=$(head -c "$VALUE_SIZE" /dev/zero | tr '\0' x)

config_port() {
    case $1 in
    redis) echo "$REDIS_PORT_none" ;;
    redis-everysec) echo "$REDIS_PORT_everysec" ;;
    concord-*) echo "$CONCORD_REDIS_PORT_0" ;;
    esac
}

# command_words CONFIG COMMAND: the redis-benchmark command line for it.
command_words() {
    local prefix=()
    [[ $1 == concord-one ]] && prefix=(CONCORD.WITH ONE)
    case $2 in
    set) echo "${prefix[*]} SET key:__rand_int__ $VALUE" ;;
    get) echo "${prefix[*]} GET key:__rand_int__" ;;
    incr) echo "${prefix[*]} INCR counter:__rand_int__" ;;
    *) echo "unknown command '$2' in COMMANDS (expected set, get or incr)" >&2; exit 1 ;;
    esac
}

# measure CONFIG COMMAND PIPELINE: one redis-benchmark run; appends
# "config command pipeline rps p50 p99 errors" to $WORK/results.
measure() {
    local config=$1 command=$2 pipeline=$3 port out csv errors
    port=$(config_port "$config")
    out="$WORK/run.out"
    # redis-benchmark 7 stops at the first error reply, with a message on
    # standard error and no result line, so a missing line is an error.
    # shellcheck disable=SC2046
    redis-benchmark -p "$port" -c "$CLIENTS" -n "$REQUESTS" -P "$pipeline" -r "$KEY_SPACE" --csv \
        $(command_words "$config" "$command") >"$out" 2>"$out.err" || true
    errors=$(grep -c -i 'error' "$out.err" || true)
    # The CSV line: "test","rps","avg","min","p50","p95","p99","max".
    if ! fields=$(python3 -c 'import csv, sys
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) == 8 and r[1] != "rps"]
if not rows: sys.exit(1)
print(rows[-1][1], rows[-1][4], rows[-1][6])' "$out"); then
        errors=$((errors + 1))
        fields="- - -"
    fi
    echo "$config $command $pipeline $fields $errors" >>"$WORK/results"
}

# Fill the keys GET reads, on every configuration, before measuring.
for config in redis redis-everysec concord-quorum; do
    # shellcheck disable=SC2046
    redis-benchmark -p "$(config_port "$config")" -c "$CLIENTS" -n "$KEY_SPACE" -P 16 -r "$KEY_SPACE" \
        $(command_words "$config" set) >/dev/null 2>&1
done

: >"$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
    for command in $COMMANDS; do
        for pipeline in $PIPELINES; do
            for config in "${CONFIGS[@]}"; do
                measure "$config" "$command" "$pipeline"
                printf '.' >&2
            done
        done
    done
done
echo >&2

echo "machine: $(nproc) cores, Linux $(uname -r); $(redis-server --version | awk '{print $3}'); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "each run: redis-benchmark -c $CLIENTS -n $REQUESTS -r $KEY_SPACE, ${VALUE_SIZE}-byte values; medians of $ROUNDS alternating rounds"
echo
python3 - "$WORK/results" "$COMMANDS" "$PIPELINES" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    config, command, pipeline, rps, p50, p99, errors = line.split()
    rows.setdefault((config, command, pipeline), []).append((rps, p50, p99, int(errors)))

def cell(key):
    runs = rows.get(key, [])
    errors = sum(r[3] for r in runs)
    good = [r for r in runs if r[0] != "-" and r[3] == 0]
    if errors or not good:
        return None, errors
    med = lambda i: statistics.median(float(r[i]) for r in good)
    return (med(0), med(1), med(2)), errors

configs = ["redis", "redis-everysec", "concord-one", "concord-quorum"]
print("| command | -P | " + " | ".join(f"{c} ops/s" for c in configs)
      + " | one/redis | quorum/redis | " + " | ".join(f"{c} p50/p99 ms" for c in configs) + " | errors |")
print("| --- | ---: | " + " | ".join("---:" for _ in configs) + " | ---: | ---: | "
      + " | ".join("---:" for _ in configs) + " | ---: |")
for command in sys.argv[2].split():
    for pipeline in sys.argv[3].split():
        cells = [cell((c, command, pipeline)) for c in configs]
        rates = [f"{v[0]:,.0f}" if v else "not a result" for v, _ in cells]
        base = cells[0][0]
        ratio = lambda v: f"{v[0] / base[0]:.2f}" if v and base else "-"
        lat = [f"{v[1]:.2f}/{v[2]:.2f}" if v else "-" for v, _ in cells]
        errors = "/".join(str(e) for _, e in cells)
        print(f"| {command.upper()} | {pipeline} | " + " | ".join(rates)
              + f" | {ratio(cells[2][0])} | {ratio(cells[3][0])} | " + " | ".join(lat) + f" | {errors} |")
EOF
