#!/usr/bin/env bash
# Runs the ZooKeeper acceptance scenarios (Tests/ZooKeeperClients) against
# Apache ZooKeeper 3.8 itself: three members on loopback from Debian's
# `zookeeper` package, kazoo from `python3-kazoo`. What passes here is what
# ZooKeeperAcceptanceTests asks of Concord's ZooKeeper face.
#
#   bench/kazoo-on-zookeeper.sh [BASE_PORT]   # default 12181
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-12181}
dir=$(mktemp -d /tmp/kazoo-on-zookeeper.XXXXXX)
ensemble=bench/zookeeper-ensemble.sh
scenarios="/usr/bin/python3 Tests/ZooKeeperClients/kazoo_acceptance.py"
trap '$ensemble stop "$dir"; rm -rf "$dir"' EXIT
$ensemble start "$dir" "$base" >/dev/null
hosts="127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
quiet() { grep -a -v -e '^Connection ' -e '^Transition to' -e '^Zookeeper' || true; }
for scenario in basics ephemerals lock election barriers recipes lock-holder-killed bad-input; do
    $scenarios "$scenario" "$hosts" 2>&1 | quiet
    [[ ${PIPESTATUS[0]} == 0 ]] || { echo "FAILED: $scenario"; exit 1; }
done
$scenarios zkcli "$hosts" /usr/share/zookeeper/bin/zkCli.sh
pids=$(for i in 1 2 3; do printf '%s=%s,' $((base + i - 1)) "$(cat "$dir/zk$i/pid")"; done)
moved=$($scenarios move "$hosts" "${pids%,}" 2>&1 | quiet)
echo "$moved"
killed=$(echo "$moved" | sed -n 's/^killed-port //p')
$ensemble restart "$dir" $((killed - base + 1))
# One lock, four contenders, 40 s, while each member in turn is killed
# (SIGKILL) and started again.
$scenarios lock-history "$hosts" 40 "$dir/history.json" 2>&1 | quiet &
contenders=$!
for member in 1 2 3; do
    sleep 4
    $ensemble kill "$dir" "$member"
    sleep 1
    $ensemble restart "$dir" "$member"
    sleep 6
done
wait $contenders
$scenarios check-lock-history "$dir/history.json"
