"""Acceptance scenarios for a ZooKeeper ensemble, run with Debian's
python3-kazoo (and, for bad input, raw sockets speaking jute).

Each scenario takes the ensemble's hosts ("127.0.0.1:P1,127.0.0.1:P2,...")
and checks what a ZooKeeper 3.8 ensemble does; it prints "ok <scenario>"
and exits 0, or fails with an assertion naming what differed. The same
scenarios run against Apache ZooKeeper (bench/zookeeper-ensemble.sh) and
against three `concord server` processes (ZooKeeperAcceptanceTests).

    python3 kazoo_acceptance.py SCENARIO HOSTS [ARGUMENTS...]
"""

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import (BadVersionError, NoNodeError, NodeExistsError, NotEmptyError,
                              NoChildrenForEphemeralsError, RolledBackError)
from kazoo.protocol.states import EventType
from kazoo.recipe.barrier import Barrier, DoubleBarrier
from kazoo.recipe.counter import Counter
from kazoo.recipe.election import Election
from kazoo.recipe.lock import Lock
from kazoo.recipe.party import Party
from kazoo.recipe.watchers import ChildrenWatch, DataWatch

SESSION_SECONDS = 4.0


def client(hosts, timeout=SESSION_SECONDS, randomize=True):
    c = KazooClient(hosts=hosts, timeout=timeout, randomize_hosts=randomize,
                    connection_retry={"max_tries": -1, "delay": 0.1, "max_delay": 0.5},
                    command_retry={"max_tries": -1, "delay": 0.1, "max_delay": 0.5, "deadline": 30})
    c.start(timeout=15)
    return c


def wait_for(what, condition, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def fresh(prefix):
    return "/%s-%s" % (prefix, uuid.uuid4().hex[:10])


def connected_port(c):
    return c._connection._socket.getpeername()[1]


# MARK: basics


def basics(hosts):
    zk = client(hosts)
    root = fresh("basics")
    assert zk.create(root, b"v0") == root
    data, stat = zk.get(root)
    assert data == b"v0" and stat.version == 0 and stat.dataLength == 2 and stat.numChildren == 0, (data, stat)
    assert stat.czxid == stat.mzxid and stat.ephemeralOwner == 0, stat
    stat = zk.set(root, b"v1", version=0)
    assert stat.version == 1, stat
    try:
        zk.set(root, b"v2", version=0)
        raise AssertionError("set with a stale version succeeded")
    except BadVersionError:
        pass
    assert zk.get(root)[0] == b"v1"
    try:
        zk.create(root, b"again")
        raise AssertionError("a second create succeeded")
    except NodeExistsError:
        pass
    try:
        zk.get(root + "/missing")
        raise AssertionError("get of a missing node succeeded")
    except NoNodeError:
        pass
    zk.create(root + "/child", b"c")
    try:
        zk.delete(root)
        raise AssertionError("delete of a parent succeeded")
    except NotEmptyError:
        pass
    parent_stat = zk.exists(root)
    assert parent_stat.numChildren == 1 and parent_stat.cversion == 1, parent_stat
    try:
        zk.delete(root + "/child", version=5)
        raise AssertionError("delete with a wrong version succeeded")
    except BadVersionError:
        pass
    zk.delete(root + "/child", version=0)
    assert zk.exists(root + "/child") is None
    # Sequential naming: ten digits from the parent's cversion.
    # Sequential naming: ten digits, counting from zero under a new parent.
    zk.create(root + "/s", b"")
    names = [zk.create(root + "/s/seq-", b"", sequence=True) for _ in range(3)]
    assert names == ["%s/s/seq-%010d" % (root, n) for n in (0, 1, 2)], names
    ephemeral_sequential = zk.create(root + "/s/eph-", b"", ephemeral=True, sequence=True)
    assert ephemeral_sequential == "%s/s/eph-%010d" % (root, 3), ephemeral_sequential
    assert zk.exists(ephemeral_sequential).ephemeralOwner == zk.client_id[0]
    try:
        zk.create(ephemeral_sequential + "/under", b"")
        raise AssertionError("a child of an ephemeral node was created")
    except NoChildrenForEphemeralsError:
        pass
    assert sorted(zk.get_children(root + "/s")) == sorted(n.rsplit("/", 1)[1] for n in names + [ephemeral_sequential])
    # One-shot watches: a data watch and a child watch fire once each.
    data_events, child_events = [], []
    zk.get(root, watch=data_events.append)
    zk.get_children(root, watch=child_events.append)
    zk.set(root, b"w1")
    zk.set(root, b"w2")
    zk.create(root + "/c1", b"")
    zk.create(root + "/c2", b"")
    wait_for("the data watch", lambda: data_events)
    wait_for("the child watch", lambda: child_events)
    zk.sync(root)
    time.sleep(0.3)
    assert [e.type for e in data_events] == [EventType.CHANGED], data_events
    assert [e.type for e in child_events] == [EventType.CHILD], child_events
    exists_events = []
    assert zk.exists(root + "/later", watch=exists_events.append) is None
    zk.create(root + "/later", b"")
    wait_for("the exists watch", lambda: exists_events)
    assert exists_events[0].type == EventType.CREATED and exists_events[0].path == root + "/later", exists_events
    # transaction(): all or nothing, with per-operation results.
    t = zk.transaction()
    t.create(root + "/t1", b"a")
    t.set_data(root, b"t", version=3)
    t.check(root + "/c1", 0)
    results = t.commit()
    assert results[0] == root + "/t1" and results[1].version == 4 and results[2] is True, results
    t = zk.transaction()
    t.create(root + "/t2", b"b")
    t.delete(root + "/absent")
    t.set_data(root, b"never")
    results = t.commit()
    assert isinstance(results[0], RolledBackError) and isinstance(results[1], NoNodeError), results
    assert zk.exists(root + "/t2") is None and zk.get(root)[0] == b"t"
    zk.stop()
    zk.close()
    print("ok basics")


# MARK: ephemeral nodes and sessions


def hold(hosts, kind, path, port_file):
    """Runs in a child process: holds an ephemeral node or a lock until
    killed; writes its session id and port once it holds."""
    zk = client(hosts)
    if kind == "ephemeral":
        zk.create(path, b"held", ephemeral=True)
    else:
        lock = Lock(zk, path, "holder")
        assert lock.acquire(timeout=30)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d %d" % (connected_port(zk), zk.client_id[0]))
    os.replace(port_file + ".tmp", port_file)
    while True:
        time.sleep(3600)


def spawn_holder(hosts, kind, path):
    port_file = "/tmp/kazoo-holder-%s" % uuid.uuid4().hex
    process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "hold", hosts, kind, path, port_file])
    wait_for("the holder", lambda: os.path.exists(port_file), 30)
    with open(port_file) as f:
        port, session = f.read().split()
    os.remove(port_file)
    return process, int(port), int(session)


def ephemerals(hosts):
    observer = client(hosts)
    # A reconnect keeps the session and its ephemeral node.
    owner = client(hosts)
    path = fresh("eph")
    owner.create(path, b"mine", ephemeral=True)
    session = owner.client_id
    states = []
    owner.add_listener(states.append)
    owner._connection._socket.shutdown(socket.SHUT_RDWR)
    wait_for("the owner to reconnect", lambda: KazooState.SUSPENDED in states and owner.state == KazooState.CONNECTED)
    assert owner.client_id == session, (owner.client_id, session)
    assert KazooState.LOST not in states, states
    assert observer.exists(path).ephemeralOwner == session[0]
    owner.stop()
    owner.close()
    wait_for("a closed session's ephemeral node to go", lambda: observer.exists(path) is None, 5)
    # A killed client: its ephemeral node stays until the session expires.
    path = fresh("eph")
    holder, _, _ = spawn_holder(hosts, "ephemeral", path)
    assert observer.exists(path) is not None
    holder.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    holder.wait()
    wait_for("an expired session's ephemeral node to go", lambda: observer.exists(path) is None, SESSION_SECONDS * 4)
    gone = time.monotonic() - killed
    # The client pings every third of the timeout: the server may have
    # last heard from it that long before the kill.
    assert gone >= SESSION_SECONDS * 0.6, "the ephemeral node went %.2f s after the kill" % gone
    observer.stop()
    observer.close()
    print("ok ephemerals (expired %.2f s after the kill)" % gone)


# MARK: recipes


def lock_contention(hosts, contenders=5, rounds=8):
    clients = [client(hosts) for _ in range(contenders)]
    path = fresh("lock")
    history, guard = [], threading.Lock()
    counter_path = path + "-counter"
    clients[0].create(counter_path, b"0")

    def contend(index):
        lock = Lock(clients[index], path, "c%d" % index)
        for _ in range(rounds):
            with lock:
                with guard:
                    history.append(("acquire", index))
                # An unguarded read-modify-write: lost updates show overlap.
                value = int(clients[index].get(counter_path)[0])
                time.sleep(0.005)
                clients[index].set(counter_path, str(value + 1).encode())
                with guard:
                    history.append(("release", index))

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check_exclusive(history)
    assert int(clients[0].get(counter_path)[0]) == contenders * rounds
    for c in clients:
        c.stop()
        c.close()
    print("ok lock (%d acquisitions)" % (contenders * rounds))


def check_exclusive(history):
    holder = None
    for event, who in history:
        if event == "acquire":
            assert holder is None, "%s acquired while %s held the lock" % (who, holder)
            holder = who
        else:
            assert holder == who, "%s released a lock held by %s" % (who, holder)
            holder = None


def election(hosts, contenders=3):
    clients = [client(hosts) for _ in range(contenders)]
    path = fresh("election")
    leading, history, guard = [], [], threading.Lock()
    resign = [threading.Event() for _ in range(contenders)]

    def lead(index):
        with guard:
            history.append(("acquire", index))
            leading.append(index)
        resign[index].wait(30)
        with guard:
            history.append(("release", index))

    elections = [Election(c, path, "e%d" % i) for i, c in enumerate(clients)]
    threads = [threading.Thread(target=elections[i].run, args=(lead, i)) for i in range(contenders)]
    for t in threads:
        t.start()
    for round in range(contenders):
        wait_for("leader %d" % (round + 1), lambda: len(leading) == round + 1)
        time.sleep(0.2)
        assert len(leading) == round + 1, leading
        contenders_seen = elections[0].contenders()
        assert len(contenders_seen) == contenders - round, contenders_seen
        resign[leading[-1]].set()
    for t in threads:
        t.join(15)
    assert sorted(leading) == list(range(contenders)), leading
    check_exclusive(history)
    for c in clients:
        c.stop()
        c.close()
    print("ok election")


def barriers(hosts):
    clients = [client(hosts) for _ in range(3)]
    path = fresh("barrier")
    barrier = Barrier(clients[0], path)
    barrier.create()
    passed = []
    waiters = [threading.Thread(target=lambda i=i: passed.append(Barrier(clients[i], path).wait(20))) for i in (1, 2)]
    for t in waiters:
        t.start()
    time.sleep(0.5)
    assert passed == [], "waiters passed a barrier still up"
    barrier.remove()
    for t in waiters:
        t.join(20)
    assert passed == [True, True], passed
    # DoubleBarrier: nobody is in before all three enter; nobody leaves
    # before all three have left.
    path = fresh("double")
    entered, left, guard = [], [], threading.Lock()

    def member(index):
        b = DoubleBarrier(clients[index], path, 3, identifier="m%d" % index)
        b.enter()
        with guard:
            entered.append((index, time.monotonic()))
        time.sleep(0.1 * index)
        b.leave()
        with guard:
            left.append((index, time.monotonic()))

    starts = []
    threads = []
    for i in range(3):
        starts.append(time.monotonic())
        threads.append(threading.Thread(target=member, args=(i,)))
        threads[-1].start()
        time.sleep(0.3)
    for t in threads:
        t.join(30)
    assert len(entered) == 3 and len(left) == 3, (entered, left)
    assert min(t for _, t in entered) >= starts[-1], "a member entered before the last arrived"
    last_leave_call = max(t for _, t in entered) + 0.2
    assert min(t for _, t in left) >= last_leave_call - 0.05, (entered, left)
    for c in clients:
        c.stop()
        c.close()
    print("ok barriers")


def counter_party_watches(hosts):
    clients = [client(hosts) for _ in range(4)]
    path = fresh("counter")

    def add(index):
        c = Counter(clients[index], path)
        for _ in range(10):
            c += 1

    threads = [threading.Thread(target=add, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(clients[0], path).value == 40
    # Party: membership as ephemeral nodes.
    path = fresh("party")
    parties = [Party(clients[i], path, "p%d" % i) for i in range(3)]
    for p in parties:
        p.join()
    assert sorted(parties[0]) == ["p0", "p1", "p2"] and len(parties[0]) == 3, list(parties[0])
    parties[1].leave()
    clients[2].stop()
    clients[2].close()
    wait_for("party members to leave", lambda: sorted(parties[0]) == ["p0"])
    # DataWatch and ChildrenWatch: configuration follows the node.
    path = fresh("config")
    zk = clients[0]
    zk.create(path, b"one")
    seen_data, seen_children = [], []
    DataWatch(clients[1], path, lambda data, stat: seen_data.append(data))
    ChildrenWatch(clients[1], path, lambda children: seen_children.append(sorted(children)))
    wait_for("the first callbacks", lambda: seen_data == [b"one"] and seen_children == [[]])
    zk.set(path, b"two")
    wait_for("the data callback", lambda: seen_data[-1] == b"two")
    zk.create(path + "/a", b"")
    zk.create(path + "/b", b"")
    wait_for("the children callback", lambda: seen_children[-1] == ["a", "b"])
    zk.delete(path + "/a")
    zk.delete(path + "/b")
    zk.delete(path)
    wait_for("the deletion", lambda: seen_data[-1] is None)
    assert b"two" in seen_data, seen_data
    for c in clients[:2] + clients[3:]:
        c.stop()
        c.close()
    print("ok counter, party, watches")


# MARK: faults


def move(hosts, pids_text):
    """Kills (SIGKILL) the member the client is connected to; the session
    moves to another member within its timeout and keeps its ephemeral
    node and its watches. PIDS: port=pid,... for every member."""
    pids = dict((int(p), int(q)) for p, q in (item.split("=") for item in pids_text.split(",")))
    zk = client(hosts, timeout=10.0)
    session = zk.client_id
    path = fresh("move")
    zk.create(path, b"before")
    zk.create(path + "/eph", b"", ephemeral=True)
    # kazoo 2.8 drops its one-shot watchers when a connection breaks (it
    # hands them an event of type NONE and sends no setWatches); its
    # DataWatch and ChildrenWatch recipes set theirs again.
    events, states, values, children = [], [], [], []
    zk.get(path, watch=events.append)
    DataWatch(zk, path, lambda data, stat: values.append(data))
    ChildrenWatch(zk, path, lambda names: children.append(sorted(names)))
    wait_for("the recipes' first callbacks", lambda: values == [b"before"] and children == [["eph"]])
    zk.add_listener(states.append)
    port = connected_port(zk)
    os.kill(pids[port], signal.SIGKILL)
    killed = time.monotonic()
    wait_for("the session to move", lambda: KazooState.SUSPENDED in states and zk.state == KazooState.CONNECTED, 10)
    moved = time.monotonic() - killed
    assert zk.client_id == session and KazooState.LOST not in states, (zk.client_id, session, states)
    assert connected_port(zk) != port
    assert zk.exists(path + "/eph").ephemeralOwner == session[0]
    other = client(",".join(h for h in hosts.split(",") if not h.endswith(":%d" % port)))
    assert [e.type for e in events] == [EventType.NONE], events
    other.set(path, b"after")
    other.create(path + "/new", b"")
    wait_for("the data watch after the move", lambda: values[-1] == b"after")
    wait_for("the children watch after the move", lambda: children[-1] == ["eph", "new"])
    assert other.exists(path + "/eph") is not None
    zk.stop()
    zk.close()
    wait_for("the ephemeral node to go at close", lambda: other.exists(path + "/eph") is None, 5)
    assert [e.type for e in events] == [EventType.NONE], events
    other.stop()
    other.close()
    print("ok move (%.2f s after the kill; killed the member on port %d)" % (moved, port))
    print("killed-port %d" % port)


def lock_holder_killed(hosts):
    """kill -9 of the lock holder's client: the lock goes to the next
    contender once the holder's session expires, never before."""
    path = fresh("lock")
    holder, _, _ = spawn_holder(hosts, "lock", path)
    zk = client(hosts)
    acquired = []
    lock = Lock(zk, path, "next")
    thread = threading.Thread(target=lambda: acquired.append((lock.acquire(timeout=60), time.monotonic())))
    thread.start()
    time.sleep(1.0)
    assert acquired == [], "the lock was acquired while its holder lived"
    holder.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    holder.wait()
    thread.join(60)
    assert acquired and acquired[0][0], acquired
    waited = acquired[0][1] - killed
    assert waited >= SESSION_SECONDS * 0.6, "acquired %.2f s after the kill, before the session could expire" % waited
    assert waited <= SESSION_SECONDS * 3, "acquired only %.2f s after the kill" % waited
    lock.release()
    zk.stop()
    zk.close()
    print("ok lock holder killed (acquired %.2f s after the kill)" % waited)


def lock_history(hosts, seconds, record_path, contenders=4):
    """Contends for one lock for SECONDS while the harness kills and
    restarts members; writes the history (acquire and release times, and
    sessions lost while holding) to RECORD_PATH as JSON."""
    seconds = float(seconds)
    path = "/history-lock"
    history, guard = [], threading.Lock()
    stop_at = time.monotonic() + seconds
    failures = []

    def contend(index):
        try:
            zk = client(hosts, timeout=10.0)
            lost = []
            zk.add_listener(lambda state: lost.append(time.monotonic()) if state == KazooState.LOST else None)
            lock = Lock(zk, path, "h%d" % index)
            while time.monotonic() < stop_at:
                try:
                    if not lock.acquire(timeout=5):
                        continue
                except Exception as error:  # a connection loss mid-acquire
                    failures.append(repr(error))
                    time.sleep(0.1)
                    continue
                start = time.monotonic()
                lost_before = len(lost)
                time.sleep(0.02)
                end = time.monotonic()
                try:
                    lock.release()
                except Exception as error:
                    failures.append(repr(error))
                with guard:
                    history.append({"who": index, "start": start, "end": end, "lost": len(lost) > lost_before})
            zk.stop()
            zk.close()
        except Exception as error:
            failures.append("contender %d: %r" % (index, error))

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(record_path, "w") as f:
        json.dump({"history": history, "failures": failures}, f)
    print("recorded %d holds, %d client errors" % (len(history), len(failures)))


def check_lock_history(record_path):
    """Two holds overlap only if the earlier holder's session was lost."""
    with open(record_path) as f:
        record = json.load(f)
    holds = sorted(record["history"], key=lambda h: h["start"])
    assert len(holds) >= 10, "only %d holds recorded" % len(holds)
    for earlier, later in zip(holds, holds[1:]):
        if later["start"] < earlier["end"] and not earlier["lost"]:
            raise AssertionError("two holders at once: %r and %r" % (earlier, later))
    lost = sum(1 for h in holds if h["lost"])
    print("ok lock history (%d holds, none overlapping; %d holds lost their session)" % (len(holds), lost))


# MARK: bad input (raw jute)


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


def ustring(text):
    data = text.encode()
    return struct.pack(">i", len(data)) + data


def raw_connect(port, timeout_ms=10000):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(frame(struct.pack(">iqiq", 0, 0, timeout_ms, 0) + struct.pack(">i", 16) + b"\0" * 16 + b"\0"))
    body = read_frame(s)
    assert body is not None and len(body) >= 36, body
    return s


def read_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_frame(s):
    head = read_exact(s, 4)
    if head is None:
        return None
    return read_exact(s, struct.unpack(">i", head)[0])


def reply(s, xid):
    """The error code of the reply to XID (skipping watch events)."""
    while True:
        body = read_frame(s)
        assert body is not None, "the server closed the connection"
        got, _, err = struct.unpack(">iqi", body[:16])
        if got == xid:
            return err


def closed_by_server(s):
    s.settimeout(10)
    try:
        return read_exact(s, 4) is None
    except ConnectionResetError:
        return True


OPEN_ACL = struct.pack(">i", 1) + struct.pack(">i", 31) + ustring("world") + ustring("anyone")


def bad_input(hosts):
    port = int(hosts.split(",")[0].rsplit(":", 1)[1])
    zk = client(hosts)
    root = fresh("bad")
    zk.create(root, b"x")
    results = {}
    s = raw_connect(port)
    # Paths without a leading slash, with empty components, or ending in "/".
    for xid, path in enumerate(["nolead", root + "//x", root + "/", root + "/./x"], start=1):
        s.sendall(frame(struct.pack(">ii", xid, 1) + ustring(path) + struct.pack(">i", 0) + OPEN_ACL + struct.pack(">i", 0)))
        results["create " + repr(path)] = reply(s, xid)
    s.sendall(frame(struct.pack(">ii", 10, 5) + ustring("nolead") + struct.pack(">i", 0) + struct.pack(">i", -1)))
    results["setData 'nolead'"] = reply(s, 10)
    s.sendall(frame(struct.pack(">ii", 11, 2) + ustring(root + "//x") + struct.pack(">i", -1)))
    results["delete %r" % (root + "//x")] = reply(s, 11)
    # The connection still serves a good request.
    s.sendall(frame(struct.pack(">ii", 12, 3) + ustring(root) + b"\0"))
    results["exists (good)"] = reply(s, 12)
    for name, err in results.items():
        print("  %s -> %d" % (name, err))
    # ZooKeeper answers BADARGUMENTS (-8) for a path without its leading
    # slash; for a malformed path under an existing node it may answer
    # NONODE (-101) instead (it looks the parent up first).
    assert results["create 'nolead'"] == -8 and results["setData 'nolead'"] == -8, results
    for name, err in results.items():
        if name != "exists (good)":
            assert err in (-8, -101), "%s answered %d, neither BADARGUMENTS (-8) nor NONODE (-101)" % (name, err)
    assert results["exists (good)"] == 0
    s.close()
    # A length beyond any limit: the server closes that connection.
    s = raw_connect(port)
    s.sendall(struct.pack(">i", 0x7FFFFFF0) + b"\0" * 64)
    assert closed_by_server(s), "an absurd length left the connection open"
    s.close()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(struct.pack(">i", -5) + b"\0" * 8)
    assert closed_by_server(s), "a negative first length left the connection open"
    s.close()
    # A connect request that is cut short, then the socket closes.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(struct.pack(">i", 44) + b"\0\0\0")
    s.close()
    # Garbage instead of a connect request.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(frame(b"\xff" * 12))
    assert closed_by_server(s), "a garbage connect request left the connection open"
    s.close()
    # Others are still served.
    zk.set(root, b"still serving")
    assert zk.get(root)[0] == b"still serving"
    zk.stop()
    zk.close()
    print("ok bad input")


# MARK: zkCli


def zkcli(hosts, script):
    """Runs Debian's zkCli (SCRIPT: its zkCli.sh) one command at a time
    against the first member and checks what it prints."""
    server = hosts.split(",")[0]
    root = fresh("cli")

    def run(*command):
        result = subprocess.run([script, "-server", server] + list(command), capture_output=True, text=True, timeout=60)
        lines = [line for line in (result.stdout + result.stderr).splitlines()
                 if line.strip() and not line.startswith(("SLF4J:", "WATCHER::", "WatchedEvent", "Connecting to"))]
        return lines

    def expect(command, *choices):
        got = run(*command.split(" "))
        assert got in choices, "zkCli %s printed %r, expected %r" % (command, got, choices)

    expect("create %s hello" % root, ["Created " + root])
    expect("create -e -s %s/e- x" % root, ["Created %s/e-0000000000" % root])
    expect("create -s %s/s- x" % root, ["Created %s/s-0000000001" % root])
    expect("create %s/child one" % root, ["Created %s/child" % root])
    # zkCli leaves without closing its session: the ephemeral node stays
    # until the session's timeout (30 s) has passed.
    expect("ls %s" % root, ["[child, e-0000000000, s-0000000001]"], ["[child, s-0000000001]"])
    got = run("get", "-s", root)
    assert got[0] == "hello", got
    stat = dict(line.split(" = ", 1) for line in got[1:])
    assert sorted(stat) == sorted(["cZxid", "ctime", "mZxid", "mtime", "pZxid", "cversion", "dataVersion",
                                   "aclVersion", "ephemeralOwner", "dataLength", "numChildren"]), got
    assert stat["dataVersion"] == "0" and stat["dataLength"] == "5", stat
    # Three creates; the ephemeral node's expiry, if it came, is a fourth change.
    assert (stat["numChildren"], stat["cversion"]) in (("3", "3"), ("2", "4")), stat
    assert stat["ephemeralOwner"] == "0x0" and stat["cZxid"] == stat["mZxid"], stat
    assert int(stat["pZxid"], 16) > int(stat["cZxid"], 16), stat
    expect("set %s world" % root, [])
    got = run("get", "-s", root)
    assert got[0] == "world" and "dataVersion = 1" in got, got
    expect("set -v 7 %s again" % root, ["version No is not valid : " + root])
    expect("delete %s" % root, ["Node not empty: " + root])
    expect("delete %s/child" % root, [])
    expect("ls %s" % root, ["[e-0000000000, s-0000000001]"], ["[s-0000000001]"])
    expect("get %s/child" % root, ["Node does not exist: %s/child" % root])
    expect("create nolead x", ["Path must start with / character"])
    expect("deleteall %s" % root, [])
    expect("ls %s" % root, ["Node does not exist: " + root])
    print("ok zkCli")


# MARK: TLS


def tls(hosts, ca, certfile, keyfile):
    """zks:// with the client TLS flags and --client-cert-auth: a client with
    a certificate the cluster's CA signed works, ephemerals included; one
    without a certificate, and one speaking plaintext, never get a session."""
    c = KazooClient(hosts=hosts, timeout=SESSION_SECONDS, use_ssl=True, verify_certs=True, ca=ca,
                    certfile=certfile, keyfile=keyfile, connection_retry={"max_tries": -1, "delay": 0.1, "max_delay": 0.5})
    c.start(timeout=15)
    path = fresh("tls")
    c.create(path, b"over tls")
    data, stat = c.get(path)
    assert data == b"over tls" and stat.version == 0, (data, stat)
    c.create(path + "/e", b"", ephemeral=True)
    assert c.get_children(path) == ["e"], c.get_children(path)
    for name, options in [("no certificate", {"use_ssl": True, "verify_certs": True, "ca": ca}), ("plaintext", {})]:
        other = KazooClient(hosts=hosts, timeout=SESSION_SECONDS, connection_retry={"max_tries": 2, "delay": 0.1}, **options)
        try:
            other.start(timeout=4)
        except Exception:
            pass
        else:
            raise AssertionError("a client with %s got a session" % name)
        finally:
            other.stop()
            other.close()
    assert c.exists(path + "/e") is not None
    c.stop()
    c.close()
    print("ok tls")


SCENARIOS = {
    "basics": basics, "ephemerals": ephemerals, "lock": lock_contention, "election": election,
    "barriers": barriers, "recipes": counter_party_watches, "move": move, "lock-holder-killed": lock_holder_killed,
    "lock-history": lock_history, "bad-input": bad_input, "zkcli": zkcli, "tls": tls,
}

if __name__ == "__main__":
    name = sys.argv[1]
    if name == "hold":
        hold(*sys.argv[2:])
    elif name == "check-lock-history":
        check_lock_history(sys.argv[2])
    else:
        SCENARIOS[name](*sys.argv[2:])
