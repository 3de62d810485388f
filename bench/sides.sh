# Shared by the bench scripts that run a three-member etcd (Debian's
# etcd-server) and a three-member Concord side by side on loopback (source
# it; it defines functions and variables only).
#
# Needs: WORK (a scratch directory), CONCORD_BIN (the concord binary) and
# READY_DEADLINE_SECONDS. ETCD_FLAGS and CONCORD_FLAGS, if set, are added to
# every etcd and `concord server` command line, and CONCORD_FLAGS_0..2, if
# set, to that Concord member's alone. Defines PIDS (every process
# started), free_port, wait_ready, start_side_member, start_side and
# side_pid, and a trap that ends every process and removes WORK on exit.
# A side is `etcd` or `concord`; its members are n1, n2, n3 (index 0-2).

PIDS=()
end_sides() {
    for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill -9 "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap end_sides EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_ready ENDPOINTS: until a linearizable read succeeds, or fail after the deadline.
wait_ready() {
    local deadline=$((SECONDS + READY_DEADLINE_SECONDS))
    until ETCDCTL_API=3 etcdctl --endpoints "$1" --command-timeout=2s get sides-probe >/dev/null 2>&1; do
        if ((SECONDS > deadline)); then echo "cluster at $1 not ready within ${READY_DEADLINE_SECONDS}s" >&2; exit 1; fi
        sleep 0.2
    done
}

# start_side_member SIDE INDEX: starts (or restarts, on its data directory)
# one member; its pid is then `side_pid SIDE INDEX`.
start_side_member() {
    local side=$1 i=$2 names=(n1 n2 n3) peer client cluster dir
    peer=$(eval echo "\$${side}_peer_$i")
    client=$(eval echo "\$${side}_client_$i")
    cluster=$(eval echo "\$${side}_cluster")
    dir="$WORK/$side-${names[$i]}"
    mkdir -p "$dir"
    if [[ $side == etcd ]]; then
        # shellcheck disable=SC2086
        etcd --name "${names[$i]}" --data-dir "$dir/data" \
            --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
            --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
            --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token sides \
            --log-level error ${ETCD_FLAGS:-} >>"$dir/log" 2>&1 &
    else
        # shellcheck disable=SC2086
        "$CONCORD_BIN" server --name "${names[$i]}" --data-dir "$dir/data" \
            --listen-peer-urls "http://127.0.0.1:$peer" \
            --listen-client-urls "http://127.0.0.1:$client" \
            --initial-cluster "$cluster" --initial-cluster-state new \
            --log-level error ${CONCORD_FLAGS:-} $(eval echo "\${CONCORD_FLAGS_$i:-}") >>"$dir/log" 2>&1 &
    fi
    PIDS+=($!)
    eval "${side}_pid_$i=$!"
}

side_pid() { eval echo "\$${1}_pid_$2"; }
side_endpoint() { echo "127.0.0.1:$(eval echo "\$${1}_client_$2")"; }
side_data_dir() { local names=(n1 n2 n3); echo "$WORK/$1-${names[$2]}/data"; }

# start_side SIDE: draws ports, starts three members, waits until they
# serve, and sets ENDPOINTS_<SIDE>.
start_side() {
    local side=$1 names=(n1 n2 n3) cluster="" i
    for i in 0 1 2; do
        eval "${side}_peer_$i=$(free_port)"
        eval "${side}_client_$i=$(free_port)"
        cluster+="${cluster:+,}${names[$i]}=http://127.0.0.1:$(eval echo "\$${side}_peer_$i")"
    done
    eval "${side}_cluster=\$cluster"
    for i in 0 1 2; do start_side_member "$side" "$i"; done
    local endpoints
    endpoints="$(side_endpoint "$side" 0),$(side_endpoint "$side" 1),$(side_endpoint "$side" 2)"
    wait_ready "$endpoints"
    eval "ENDPOINTS_$side=\$endpoints"
}
