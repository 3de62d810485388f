"""The kazoo load of bench/vs-zookeeper.sh, the same against any ZooKeeper
ensemble. Prints one JSON object per run.

    python3 bench/zookeeper_load.py HOSTS throughput OPERATION CLIENTS SECONDS   # create, set or get
    python3 bench/zookeeper_load.py HOSTS lock CONTENDERS SECONDS
    python3 bench/zookeeper_load.py HOSTS handover resign|kill ROUNDS

Throughput: CLIENTS processes, each with its own session, each issuing
synchronous requests back to back for SECONDS (creates of new nodes, sets
of its own node, gets of its own node). Lock: CONTENDERS sessions in one
process, each acquiring and releasing one kazoo Lock in a loop. Handover:
two contenders in kazoo's Election; the leader either resigns (its run
function returns) or its client process is killed with SIGKILL; the time
is from the resignation (or kill) to the other contender's leadership.
"""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

from kazoo.client import KazooClient
from kazoo.recipe.election import Election
from kazoo.recipe.lock import Lock

SESSION_SECONDS = 4.0


def client(hosts):
    c = KazooClient(hosts=hosts, timeout=SESSION_SECONDS)
    c.start(timeout=20)
    return c


def throughput_worker(hosts, operation, seconds, root, index, results, start_at):
    zk = client(hosts)
    mine = "%s/c%d" % (root, index)
    zk.create(mine, b"x" * 64)
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = time.monotonic() + seconds
    count = 0
    payload = b"y" * 64
    while time.monotonic() < deadline:
        if operation == "create":
            zk.create("%s/n%d-%d" % (mine, index, count), payload)
        elif operation == "set":
            zk.set(mine, payload)
        else:
            zk.get(mine)
        count += 1
    results.put(count)
    zk.stop()
    zk.close()


def throughput(hosts, operation, clients, seconds):
    clients, seconds = int(clients), float(seconds)
    zk = client(hosts)
    root = "/bench-%s" % uuid.uuid4().hex[:8]
    zk.create(root, b"")
    results = multiprocessing.Queue()
    start_at = time.time() + 3.0
    workers = [multiprocessing.Process(target=throughput_worker, args=(hosts, operation, seconds, root, i, results, start_at))
               for i in range(clients)]
    for w in workers:
        w.start()
    total = sum(results.get(timeout=seconds + 60) for _ in workers)
    for w in workers:
        w.join()
    zk.delete(root, recursive=True)
    zk.stop()
    zk.close()
    print(json.dumps({"run": operation, "clients": clients, "seconds": seconds, "operations": total,
                      "per_second": round(total / seconds, 1)}))


def lock(hosts, contenders, seconds):
    contenders, seconds = int(contenders), float(seconds)
    clients = [client(hosts) for _ in range(contenders)]
    path = "/bench-lock-%s" % uuid.uuid4().hex[:8]
    counts = [0] * contenders
    deadline = time.monotonic() + seconds

    def contend(index):
        lock = Lock(clients[index], path, "c%d" % index)
        while time.monotonic() < deadline:
            lock.acquire()
            lock.release()
            counts[index] += 1

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    clients[0].delete(path, recursive=True)
    for c in clients:
        c.stop()
        c.close()
    print(json.dumps({"run": "lock", "contenders": contenders, "seconds": seconds, "cycles": sum(counts),
                      "per_second": round(sum(counts) / seconds, 1)}))


def lead_in_child(hosts, path, ready_file):
    """A contender in its own process, leading until killed."""
    zk = client(hosts)

    def lead():
        with open(ready_file, "w") as f:
            f.write("leading")
        while True:
            time.sleep(3600)

    Election(zk, path, "child").run(lead)


def handover(hosts, how, rounds):
    times = []
    for _ in range(int(rounds)):
        path = "/bench-election-%s" % uuid.uuid4().hex[:8]
        follower_client = client(hosts)
        led = threading.Event()
        led_at = []
        if how == "resign":
            leader_client = client(hosts)
            resign = threading.Event()
            leading = threading.Event()
            resigned_at = []

            def lead():
                leading.set()
                resign.wait()
                resigned_at.append(time.monotonic())

            leader = threading.Thread(target=Election(leader_client, path, "first").run, args=(lead,))
            leader.start()
            leading.wait(20)
        else:
            ready_file = "/tmp/zk-bench-%s" % uuid.uuid4().hex
            child = subprocess.Popen([sys.executable, os.path.abspath(__file__), hosts, "child", path, ready_file])
            deadline = time.monotonic() + 20
            while not os.path.exists(ready_file) and time.monotonic() < deadline:
                time.sleep(0.01)
            os.remove(ready_file)

        def follow():
            led_at.append(time.monotonic())
            led.set()

        follower = threading.Thread(target=Election(follower_client, path, "second").run, args=(follow,))
        follower.start()
        time.sleep(1.0)
        assert not led.is_set(), "the second contender led while the first did"
        if how == "resign":
            resign.set()
            led.wait(30)
            leader.join()
            start = resigned_at[0]
            leader_client.stop()
            leader_client.close()
        else:
            start = time.monotonic()
            child.send_signal(signal.SIGKILL)
            child.wait()
            led.wait(60)
        assert led_at, "no handover"
        times.append(led_at[0] - start)
        follower.join()
        follower_client.delete(path, recursive=True)
        follower_client.stop()
        follower_client.close()
    times.sort()
    print(json.dumps({"run": "handover-" + how, "rounds": len(times), "median_seconds": round(times[len(times) // 2], 4),
                      "seconds": [round(t, 4) for t in times]}))


if __name__ == "__main__":
    hosts, mode = sys.argv[1], sys.argv[2]
    if mode == "throughput":
        throughput(hosts, *sys.argv[3:])
    elif mode == "lock":
        lock(hosts, *sys.argv[3:])
    elif mode == "handover":
        handover(hosts, *sys.argv[3:])
    elif mode == "child":
        lead_in_child(hosts, *sys.argv[3:])
