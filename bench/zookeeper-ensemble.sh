#!/usr/bin/env bash
# Starts (or stops) a three-member Apache ZooKeeper 3.8 ensemble on
# loopback from Debian's `zookeeper` package, for comparing clients'
# behaviour and load with Concord's ZooKeeper face.
#
#   bench/zookeeper-ensemble.sh start DIR BASE_PORT   # clients on BASE_PORT, +1, +2
#   bench/zookeeper-ensemble.sh stop DIR
#   bench/zookeeper-ensemble.sh kill DIR N       # SIGKILL member N (1-3)
#   bench/zookeeper-ensemble.sh restart DIR N    # start member N again
#
# Members write their data and logs under DIR/zkN; their process ids go to
# DIR/zkN/pid. `start` returns once every member answers `srvr` as leader or
# follower. Heaps are small (256 MiB): the members share a small machine.
set -euo pipefail
command=${1:?usage: start DIR BASE_PORT | stop DIR}
dir=${2:?missing DIR}

stop() {
    for i in 1 2 3; do
        [[ -f "$dir/zk$i/pid" ]] && kill "$(cat "$dir/zk$i/pid")" 2>/dev/null || true
    done
    for i in 1 2 3; do
        [[ -f "$dir/zk$i/pid" ]] || continue
        pid=$(cat "$dir/zk$i/pid")
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$dir/zk$i/pid"
    done
}

launch() { # member N from its run script
    bash "$dir/zk$1/run.sh" >> "$dir/zk$1/stdout.log" 2>&1 &
    echo $! > "$dir/zk$1/pid"
}

mode() { # the member's mode from `srvr`, or nothing
    { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 0
    printf srvr >&3
    sed -n 's/^Mode: //p' <&3 || true
    exec 3<&-
}

case "$command" in
stop) stop ;;
kill) kill -9 "$(cat "$dir/zk${3:?missing N}/pid")" ;;
restart) launch "${3:?missing N}" ;;
start)
    base=${3:?missing BASE_PORT}
    [[ -f /usr/share/java/zookeeper.jar ]] || { echo "install Debian's zookeeper package" >&2; exit 1; }
    mkdir -p "$dir"
    stop
    classpath=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar
    cat > "$dir/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=${zookeeper.log.file}
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t] %c{1}: %m%n
PROPS
    for i in 1 2 3; do
        member="$dir/zk$i"
        rm -rf "$member"; mkdir -p "$member/data"
        echo "$i" > "$member/data/myid"
        {
            echo "tickTime=2000"
            echo "initLimit=10"
            echo "syncLimit=5"
            echo "dataDir=$member/data"
            echo "clientPort=$((base + i - 1))"
            echo "clientPortAddress=127.0.0.1"
            echo "maxClientCnxns=0"
            echo "4lw.commands.whitelist=*"
            echo "admin.enableServer=false"
            for j in 1 2 3; do echo "server.$j=127.0.0.1:$((base + 100 + j)):$((base + 200 + j))"; done
        } > "$member/zoo.cfg"
        echo "exec java -Xmx256m -Dzookeeper.log.file='$member/zookeeper.log'" \
            "-Dlog4j.configuration='file:$dir/log4j.properties' -cp '$classpath'" \
            "org.apache.zookeeper.server.quorum.QuorumPeerMain '$member/zoo.cfg'" > "$member/run.sh"
        launch "$i"
    done
    for port in "$base" $((base + 1)) $((base + 2)); do
        for attempt in $(seq 300); do
            case "$(mode "$port")" in leader | follower) break ;; esac
            [[ $attempt == 300 ]] && { echo "ZooKeeper member on $port did not start" >&2; stop; exit 1; }
            sleep 0.2
        done
    done
    echo "ZooKeeper ensemble serving 127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
    ;;
*) echo "usage: start DIR BASE_PORT | stop DIR" >&2; exit 2 ;;
esac
