# Shared by the bench scripts that run a three-member Concord cluster on
# loopback (source it; it defines functions and variables only).
#
# Needs: CONCORD_BIN (the concord binary) and WORK (a scratch directory);
# SERVER_FLAGS, if set, are added to every `concord server` command line.
# Defines NAMES, PEERS, CLIENT_PORTS, METRICS_PORTS (each member serves
# /metrics there), CLUSTER, ENDPOINTS, PIDS and EXTRA_PIDS
# (more processes to end with the cluster), the functions free_port,
# cluster_ports, start_member, wait_ready and start_cluster, and a trap
# that ends every process (resuming paused ones) and removes WORK on exit.

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

NAMES=(n1 n2 n3)
PIDS=(0 0 0)
EXTRA_PIDS=()

end_cluster() {
    for pid in "${PIDS[@]}" "${EXTRA_PIDS[@]}"; do
        if ((pid > 0)); then kill -CONT "$pid" 2>/dev/null || true; kill -9 "$pid" 2>/dev/null || true; fi
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap end_cluster EXIT

# cluster_ports: draws the peer and client ports of the three members.
cluster_ports() {
    PEERS=()
    CLIENT_PORTS=()
    METRICS_PORTS=()
    CLUSTER=""
    for i in 0 1 2; do
        PEERS[$i]=$(free_port)
        CLIENT_PORTS[$i]=$(free_port)
        METRICS_PORTS[$i]=$(free_port)
        CLUSTER+="${CLUSTER:+,}${NAMES[$i]}=http://127.0.0.1:${PEERS[$i]}"
    done
    ENDPOINTS="127.0.0.1:${CLIENT_PORTS[0]},127.0.0.1:${CLIENT_PORTS[1]},127.0.0.1:${CLIENT_PORTS[2]}"
}

# start_member I STATE: starts member I in the background (PIDS[I]); a
# member restarted on its data directory resumes where it was.
start_member() {
    local i=$1 dir="$WORK/${NAMES[$1]}"
    mkdir -p "$dir"
    "$CONCORD_BIN" server --name "${NAMES[$i]}" --data-dir "$dir/data" \
        --listen-peer-urls "http://127.0.0.1:${PEERS[$i]}" \
        --listen-client-urls "http://127.0.0.1:${CLIENT_PORTS[$i]}" \
        --listen-metrics-urls "http://127.0.0.1:${METRICS_PORTS[$i]}" \
        --initial-cluster "$CLUSTER" --initial-cluster-state "$2" \
        --log-level error ${SERVER_FLAGS:-} >>"$dir/log" 2>&1 &
    PIDS[$i]=$!
}

# wait_ready SECONDS: waits until the cluster answers a read, or fails.
wait_ready() {
    local deadline=$((SECONDS + $1))
    until ETCDCTL_API=3 etcdctl --endpoints "$ENDPOINTS" --command-timeout=2s get ready-probe >/dev/null 2>&1; do
        if ((SECONDS > deadline)); then echo "cluster not ready within $1 s" >&2; return 1; fi
        sleep 0.2
    done
}

# start_cluster SECONDS: draws ports, starts three new members and waits
# up to SECONDS for them to answer.
start_cluster() {
    cluster_ports
    for i in 0 1 2; do start_member "$i" new; done
    wait_ready "$1"
}
