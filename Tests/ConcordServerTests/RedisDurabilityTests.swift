import ConcordFoundation
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Writes at one consistency through redis-py, one thread per port, each
/// stopping at its first error: `SET` of distinct keys, `INCRBY` of three
/// counters, `SADD` of distinct members to one set and, every fourth
/// step, `SREM` of the member added the step before. Prints `ok`, the
/// number of errors; writes what was acknowledged to the record file as
/// JSON (keys and values, counter sums, the members the set must hold and
/// those it must not).
private let durableWriterScript = #"""
    import json, sys, threading, redis
    level, count, record_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ports = [int(p) for p in sys.argv[4:]]
    lock = threading.Lock()
    record = {"sets": {}, "counters": {}, "members": [], "removed": [], "errors": []}
    def writer(t, port):
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
        try:
            for i in range(count):
                key, value = f"durable:{t}:{i}", f"v{t}.{i}"
                assert r.execute_command("CONCORD.WITH", level, "SET", key, value) == b"OK"
                with lock: record["sets"][key] = value
                counter, amount = f"durable:counter:{i % 3}", i % 5 + 1
                r.execute_command("CONCORD.WITH", level, "INCRBY", counter, amount)
                with lock: record["counters"][counter] = record["counters"].get(counter, 0) + amount
                member = f"m{t}.{i}"
                r.execute_command("CONCORD.WITH", level, "SADD", "durable:set", member)
                with lock: record["members"].append(member)
                if i % 4 == 3:
                    previous = f"m{t}.{i - 1}"
                    r.execute_command("CONCORD.WITH", level, "SREM", "durable:set", previous)
                    with lock:
                        record["members"].remove(previous)
                        record["removed"].append(previous)
        except Exception as error:
            with lock: record["errors"].append(f"{port}: {error!r}")
    threads = [threading.Thread(target=writer, args=(t, port)) for t, port in enumerate(ports)]
    for thread in threads: thread.start()
    for thread in threads: thread.join()
    with open(record_path, "w") as f: json.dump(record, f)
    print("ok", len(record["errors"]), *record["errors"][:3])
    """#

/// Reads every acknowledged write of the record at the given consistency
/// from each port and compares exactly; prints one line per discrepancy,
/// then `checked` and their number.
private let durableCheckScript = #"""
    import json, sys, redis
    record = json.load(open(sys.argv[1]))
    level = sys.argv[2]
    ports = [int(p) for p in sys.argv[3:]]
    problems = []
    for port in ports:
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
        keys = sorted(record["sets"])
        pipe = r.pipeline(transaction=False)
        for key in keys: pipe.execute_command("CONCORD.WITH", level, "GET", key)
        for key, got in zip(keys, pipe.execute(raise_on_error=False)):
            if got != record["sets"][key].encode(): problems.append(f"{port} {key}: {got!r}")
        for counter, want in sorted(record["counters"].items()):
            got = r.execute_command("CONCORD.WITH", level, "GET", counter)
            if got != str(want).encode(): problems.append(f"{port} {counter}: {got!r} != {want}")
        members = set(r.execute_command("CONCORD.WITH", level, "SMEMBERS", "durable:set"))
        want = set(m.encode() for m in record["members"])
        if members != want:
            problems.append(f"{port} durable:set: missing {sorted(want - members)[:5]}, extra {sorted(members - want)[:5]}")
    for problem in problems[:20]: print(problem)
    print("checked", len(problems))
    """#

/// Pipelined writes: batches of `SET`s of distinct keys, each batch one
/// redis-py pipeline (one write on the socket), sent to the ports in turn.
/// Prints `ok` and the number of error replies; writes the acknowledged
/// keys and values to the record file in the durable checker's form.
private let pipelinedWriterScript = #"""
    import json, sys, redis
    level, batches, size, record_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    ports = [int(p) for p in sys.argv[5:]]
    record = {"sets": {}, "counters": {}, "members": [], "removed": [], "errors": []}
    for b in range(batches):
        port = ports[b % len(ports)]
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
        pipe = r.pipeline(transaction=False)
        items = [(f"batch:{b}:{i}", f"w{b}.{i}") for i in range(size)]
        for key, value in items: pipe.execute_command("CONCORD.WITH", level, "SET", key, value)
        for (key, value), reply in zip(items, pipe.execute(raise_on_error=False)):
            if reply == b"OK": record["sets"][key] = value
            else: record["errors"].append(f"{port} {key}: {reply!r}")
    with open(record_path, "w") as f: json.dump(record, f)
    print("ok", len(record["errors"]), *record["errors"][:3])
    """#

/// Writers at ONE for the fault test: one thread per member, looping until
/// standard input closes, each operation recorded as acknowledged or (on
/// an error or timeout) indeterminate: `SET` of distinct keys, `INCR` of
/// three counters, `SADD` of distinct members and, every third step, `SREM`
/// of a member whose `SADD` this thread had acknowledged.
private let oneWriterScript = #"""
    import json, os, sys, threading, time, redis
    progress_path, record_path = sys.argv[1], sys.argv[2]
    ports = [int(p) for p in sys.argv[3:]]
    stop = threading.Event()
    lock = threading.Lock()
    record = {"sets": {}, "sets_unknown": {}, "incr_acked": {}, "incr_unknown": {},
              "sadd_acked": [], "sadd_unknown": [], "srem_acked": [], "srem_unknown": [], "errors": 0}
    acked = [0]
    def ack():
        acked[0] += 1
        with open(progress_path + ".tmp", "w") as f: f.write(str(acked[0]))
        os.replace(progress_path + ".tmp", progress_path)
    def one(r, *command):
        return r.execute_command("CONCORD.WITH", "ONE", *command)
    def writer(t, port):
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2, socket_connect_timeout=2)
        added = []
        i = 0
        while not stop.is_set():
            key, value = f"one:{t}:{i}", f"v{t}.{i}"
            counter, member = f"one:counter:{i % 3}", f"m{t}.{i}"
            steps = [("set", lambda: one(r, "SET", key, value)), ("incr", lambda: one(r, "INCR", counter)),
                     ("sadd", lambda: one(r, "SADD", "one:set", member))]
            if i % 3 == 2 and added: steps.append(("srem", None))
            for kind, call in steps:
                try:
                    if kind == "srem":
                        victim = added.pop(0)
                        call = lambda: one(r, "SREM", "one:set", victim)
                    call()
                    with lock:
                        if kind == "set": record["sets"][key] = value
                        elif kind == "incr": record["incr_acked"][counter] = record["incr_acked"].get(counter, 0) + 1
                        elif kind == "sadd": record["sadd_acked"].append(member); added.append(member)
                        else: record["srem_acked"].append(victim)
                        ack()
                except redis.RedisError:
                    with lock:
                        record["errors"] += 1
                        if kind == "set": record["sets_unknown"][key] = value
                        elif kind == "incr": record["incr_unknown"][counter] = record["incr_unknown"].get(counter, 0) + 1
                        elif kind == "sadd": record["sadd_unknown"].append(member)
                        else: record["srem_unknown"].append(victim)
                    time.sleep(0.05)
            i += 1
    threads = [threading.Thread(target=writer, args=(t, port)) for t, port in enumerate(ports)]
    for thread in threads: thread.start()
    sys.stdin.read()
    stop.set()
    for thread in threads: thread.join()
    with open(record_path, "w") as f: json.dump(record, f)
    print("ok")
    """#

/// Reads everything the ONE writers touched from every member at ONE and
/// checks both convergence (every member gives the same answer for every
/// key, counter and the set) and the bounds of the record; prints one line
/// per discrepancy, then `checked` and their number.
private let oneCheckScript = #"""
    import json, sys, redis
    record = json.load(open(sys.argv[1]))
    ports = [int(p) for p in sys.argv[2:]]
    problems = []
    keys = sorted(set(record["sets"]) | set(record["sets_unknown"]))
    counters = sorted(set(record["incr_acked"]) | set(record["incr_unknown"]))
    views = []
    for port in ports:
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
        pipe = r.pipeline(transaction=False)
        for key in keys + counters: pipe.execute_command("CONCORD.WITH", "ONE", "GET", key)
        values = pipe.execute()
        members = frozenset(r.execute_command("CONCORD.WITH", "ONE", "SMEMBERS", "one:set"))
        views.append((dict(zip(keys + counters, values)), members))
    for index, (values, members) in enumerate(views[1:], start=1):
        differing = [k for k in keys + counters if values[k] != views[0][0][k]]
        if differing: problems.append(f"{ports[index]} differs from {ports[0]} on {len(differing)} keys: {differing[:5]}")
        if members != views[0][1]: problems.append(f"{ports[index]} differs from {ports[0]} on one:set")
    values, members = views[0]
    for key, want in record["sets"].items():
        if values[key] != want.encode(): problems.append(f"{key}: {values[key]!r} != {want!r}")
    for key, want in record["sets_unknown"].items():
        if values[key] not in (None, want.encode()): problems.append(f"{key}: {values[key]!r} not in (None, {want!r})")
    for counter in counters:
        got = int(values[counter] or 0)
        low = record["incr_acked"].get(counter, 0)
        high = low + record["incr_unknown"].get(counter, 0)
        if not low <= got <= high: problems.append(f"{counter}: {got} not in [{low}, {high}]")
    removed, unsure = set(record["srem_acked"]), set(record["srem_unknown"])
    for member in record["sadd_acked"]:
        present = member.encode() in members
        if member in removed and present: problems.append(f"one:set holds {member}, removed after its add was acknowledged")
        if member not in removed and member not in unsure and not present: problems.append(f"one:set misses {member}")
    for member in members:
        if member.decode() not in set(record["sadd_acked"]) | set(record["sadd_unknown"]):
            problems.append(f"one:set holds {member!r}, never added")
    for problem in problems[:20]: print(problem)
    print("checked", len(problems))
    """#

extension ProcessCluster {
    /// Waits until node `index` answers PING over RESP.
    func waitForRedisPing(_ index: Int, seconds: Double) async throws {
        try await waitUntil("\(nodes[index].name) to serve Redis", seconds: seconds) {
            try await redisCLI(redisPort(index), ["ping"]) == "PONG"
        }
    }
}

extension ProcessClusterTests {
    /// The available store on disk: writes acknowledged survive `kill -9`
    /// of every member (with `--redis-appendfsync always`) and of replicas
    /// in turn (at the default `everysec`); at ONE, under kills and stops,
    /// every member converges on what was acknowledged.
    @Suite struct RedisDurabilityTests {
        /// Runs the durable writer and returns the record file.
        private func write(_ cluster: ProcessCluster, level: String, count: Int, on indexes: [Int]) async throws -> URL {
            let record = cluster.root.appendingPathComponent("record-\(UUID().uuidString).json")
            let output = try await python(
                durableWriterScript, [level, "\(count)", record.path] + indexes.map { String(cluster.redisPort($0)) },
                timeoutSeconds: 120)
            #expect(output.hasPrefix("ok 0"), "\(output)")
            return record
        }

        /// Waits until every acknowledged write of `record` reads back
        /// exactly at `level` from each of `indexes`.
        private func expectEverythingReadable(
            _ cluster: ProcessCluster, _ record: URL, level: String, on indexes: [Int], _ what: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            var last = ""
            let found: Void? = try? await waitUntil(what, seconds: 30) {
                do {
                    last = try await python(durableCheckScript, [record.path, level] + indexes.map { String(cluster.redisPort($0)) })
                } catch {
                    last = "\(error)"
                    return false
                }
                return last.hasSuffix("checked 0\n")
            }
            #expect(found != nil, "\(what):\n\(last)", sourceLocation: sourceLocation)
        }

        @Test func anUnknownAppendfsyncIsRefusedWithTheAcceptedValues() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-appendfsync-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let server = try await runCommand(
                try concordBinary().path,
                [
                    "server", "--name", "n1", "--data-dir", directory.path, "--listen-peer-urls", "http://127.0.0.1:1",
                    "--listen-client-urls", "http://127.0.0.1:2", "--initial-cluster", "n1=http://127.0.0.1:1",
                    "--listen-redis-urls", "redis://127.0.0.1:3", "--redis-appendfsync", "sometimes",
                ])
            #expect(server.status != 0)
            #expect(server.error.contains("--redis-appendfsync must be always, everysec or no (got 'sometimes')"), "\(server.error)")
            #expect(!FileManager.default.fileExists(atPath: directory.path))
        }

        @Test func writesAcknowledgedAtAllSurviveKillingEveryMember() async throws {
            try await ProcessCluster.withRunningCluster(
                size: 3, extraArguments: ["--redis-appendfsync", "always"], redis: true
            ) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                let record = try await write(cluster, level: "ALL", count: 60, on: [0, 1, 2])
                // Every member at once, the moment the last acknowledgement arrived.
                for index in 0..<3 { cluster.kill9(index) }
                for index in 0..<3 { try cluster.start(index) }
                for index in 0..<3 { try await cluster.waitForRedisPing(index, seconds: 30) }
                try await expectEverythingReadable(
                    cluster, record, level: "QUORUM", on: [0, 1, 2], "every write acknowledged at ALL, read at QUORUM after kill -9 of all")
                for index in 0..<3 {
                    #expect(cluster.log(index).contains("replayed the available store"), "\(cluster.log(index))")
                }
            }
        }

        @Test func pipelinedBatchesAcknowledgedAtAllSurviveKillingEveryMember() async throws {
            // With `always`, a batch's replies leave only once its records,
            // in one append and one sync, are on disk on every replica.
            try await ProcessCluster.withRunningCluster(
                size: 3, extraArguments: ["--redis-appendfsync", "always"], redis: true
            ) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                let record = cluster.root.appendingPathComponent("record-\(UUID().uuidString).json")
                let output = try await python(
                    pipelinedWriterScript, ["ALL", "12", "200", record.path] + (0..<3).map { String(cluster.redisPort($0)) },
                    timeoutSeconds: 120)
                #expect(output.hasPrefix("ok 0"), "\(output)")
                for index in 0..<3 { cluster.kill9(index) }
                for index in 0..<3 { try cluster.start(index) }
                for index in 0..<3 { try await cluster.waitForRedisPing(index, seconds: 30) }
                try await expectEverythingReadable(
                    cluster, record, level: "QUORUM", on: [0, 1, 2], "every pipelined write acknowledged at ALL, after kill -9 of all")
            }
        }

        @Test func writesAcknowledgedByTwoReplicasSurviveKillingThemInTurn() async throws {
            // The default appendfsync (everysec): kill -9 loses nothing
            // acknowledged, since a record is written before its acknowledgement.
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                // n3 down: each write lands on n1 and n2 only (W = 2, and a
                // three-member ring has no fallback).
                cluster.kill9(2)
                let record = try await write(cluster, level: "QUORUM", count: 60, on: [0, 1])
                // n1 right after the acknowledgements, restarted; then n2.
                cluster.kill9(0)
                try cluster.start(0)
                try await cluster.waitForRedisPing(0, seconds: 30)
                cluster.kill9(1)
                try cluster.start(2)
                try await cluster.waitForRedisPing(2, seconds: 30)
                // n1 and n3 are a quorum; only n1's log holds the writes.
                try await expectEverythingReadable(
                    cluster, record, level: "QUORUM", on: [0, 2], "every write acknowledged at W = 2, read on n1 and n3 with n2 down")
                try cluster.start(1)
                try await cluster.waitForRedisPing(1, seconds: 30)
                try await expectEverythingReadable(
                    cluster, record, level: "QUORUM", on: [0, 1, 2], "every write read at QUORUM with all three back")
            }
        }

        @Test func writersAtOneThroughKillsAndStopsConvergeOnWhatWasAcknowledged() async throws {
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                let directory = cluster.root.appendingPathComponent("one-faults")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let progressFile = directory.appendingPathComponent("progress")
                let recordFile = directory.appendingPathComponent("record.json")
                let ports = cluster.nodes.indices.map { String(cluster.redisPort($0)) }

                let writer = Process()
                writer.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
                writer.arguments = ["-c", oneWriterScript, progressFile.path, recordFile.path] + ports
                let writerInput = Pipe(), writerOutput = Pipe()
                writer.standardInput = writerInput
                writer.standardOutput = writerOutput
                writer.standardError = writerOutput
                try writer.run()
                defer { if writer.isRunning { writer.terminate() } }

                func acknowledged() -> Int {
                    Int((try? String(contentsOf: progressFile, encoding: .utf8)) ?? "") ?? 0
                }
                /// Faults last until the writers made `count` more acknowledged
                /// writes; the deadline only catches a writer that no longer
                /// progresses (generous: a shared machine can be slow).
                func waitForProgress(_ count: Int, _ what: String) async throws {
                    let target = acknowledged() + count
                    try await waitUntil("\(count) more acknowledged writes \(what)", seconds: 60) { acknowledged() >= target }
                }

                try await waitForProgress(100, "before the faults")
                var random = SeededRandom(seed: 41)
                for round in 0..<3 {
                    let killed = Int.random(in: 0..<3, using: &random)
                    cluster.kill9(killed)
                    try await waitForProgress(150, "with n\(killed + 1) killed (round \(round))")
                    try cluster.start(killed)
                    try await cluster.waitForRedisPing(killed, seconds: 20)
                    try await waitForProgress(150, "after n\(killed + 1) restarted (round \(round))")
                    let stopped = (killed + Int.random(in: 1..<3, using: &random)) % 3
                    cluster.signal(stopped, SIGSTOP)
                    try await waitForProgress(150, "with n\(stopped + 1) stopped (round \(round))")
                    cluster.signal(stopped, SIGCONT)
                    try await waitForProgress(150, "after n\(stopped + 1) continued (round \(round))")
                }

                try writerInput.fileHandleForWriting.close()
                try await waitUntil("the writers to stop", seconds: 20) { !writer.isRunning }
                let output = writerOutput.fileHandleForReading.readDataToEndOfFile()
                #expect(writer.terminationStatus == 0, "\(String(decoding: output, as: UTF8.self))")
                let record = try JSONSerialization.jsonObject(with: Data(contentsOf: recordFile)) as? [String: Any]
                let sets = (record?["sets"] as? [String: String])?.count ?? 0
                let increments = (record?["incr_acked"] as? [String: Int])?.values.reduce(0, +) ?? 0
                let added = (record?["sadd_acked"] as? [String])?.count ?? 0
                let removed = (record?["srem_acked"] as? [String])?.count ?? 0
                print("ONE fault test: \(sets) SETs, \(increments) INCRs, \(added) SADDs, \(removed) SREMs acknowledged; \(record?["errors"] ?? 0) errors")
                #expect(sets > 0 && increments > 0 && added > 0 && removed > 0)

                var last = ""
                let healed = ContinuousClock.now
                let converged: Void? = try? await waitUntil("every member to converge", seconds: 60) {
                    do {
                        last = try await python(oneCheckScript, [recordFile.path] + ports)
                    } catch {
                        last = "\(error)"
                        return false
                    }
                    return last.hasSuffix("checked 0\n")
                }
                #expect(converged != nil, "not converged:\n\(last)")
                if converged != nil { print("ONE fault test: converged \(ContinuousClock.now - healed) after the writers stopped") }
            }
        }
    }
}
