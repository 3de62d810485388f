import ConcordFoundation
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Writers for the fault test: one redis-py thread per member, each
/// writing at the connection's default consistency (QUORUM) until standard
/// input closes. Every operation is recorded as acknowledged or, when it
/// failed or timed out, indeterminate (it may still have taken effect).
/// The acknowledged count goes to the progress file after each operation;
/// the record goes to the record file, as JSON, at the end.
private let faultWriterScript = #"""
    import json, os, sys, threading, time, redis
    progress_path, record_path = sys.argv[1], sys.argv[2]
    ports = [int(p) for p in sys.argv[3:]]
    stop = threading.Event()
    lock = threading.Lock()
    record = {"sets": {}, "incr_acked": {}, "incr_unknown": {}, "sadd_acked": [], "errors": 0}
    acked = [0]
    def ack():
        with lock:
            acked[0] += 1
            with open(progress_path + ".tmp", "w") as f:
                f.write(str(acked[0]))
            os.replace(progress_path + ".tmp", progress_path)
    def writer(t, port):
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2, socket_connect_timeout=2)
        i = 0
        while not stop.is_set():
            key, value = f"fault:{t}:{i}", f"v{t}.{i}"
            counter = f"fault:counter:{i % 3}"
            member = f"m{t}.{i}"
            try:
                if r.set(key, value) is True:
                    with lock: record["sets"][key] = value
                    ack()
            except redis.RedisError:
                with lock: record["errors"] += 1
                time.sleep(0.05)
            try:
                r.incr(counter)
                with lock: record["incr_acked"][counter] = record["incr_acked"].get(counter, 0) + 1
                ack()
            except redis.RedisError:
                with lock:
                    record["incr_unknown"][counter] = record["incr_unknown"].get(counter, 0) + 1
                    record["errors"] += 1
                time.sleep(0.05)
            try:
                r.sadd("fault:set", member)
                with lock: record["sadd_acked"].append(member)
                ack()
            except redis.RedisError:
                with lock: record["errors"] += 1
                time.sleep(0.05)
            i += 1
    threads = [threading.Thread(target=writer, args=(t, port)) for t, port in enumerate(ports)]
    for thread in threads: thread.start()
    sys.stdin.read()
    stop.set()
    for thread in threads: thread.join()
    with open(record_path, "w") as f:
        json.dump(record, f)
    print("ok")
    """#

/// Checks the acknowledged writes in the record (a JSON file) on every
/// member at ONE; prints one line per discrepancy, then `checked` and the
/// number of discrepancies.
private let faultCheckScript = #"""
    import json, sys, redis
    record = json.load(open(sys.argv[1]))
    ports = [int(p) for p in sys.argv[2:]]
    problems = []
    for port in ports:
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
        keys = sorted(record["sets"])
        pipe = r.pipeline(transaction=False)
        for key in keys: pipe.execute_command("CONCORD.WITH", "ONE", "GET", key)
        for key, got in zip(keys, pipe.execute()):
            want = record["sets"][key].encode()
            if got != want: problems.append(f"{port} {key}: {got!r} != {want!r}")
        counters = sorted(set(record["incr_acked"]) | set(record["incr_unknown"]))
        for counter in counters:
            got = int(r.execute_command("CONCORD.WITH", "ONE", "GET", counter) or 0)
            low = record["incr_acked"].get(counter, 0)
            high = low + record["incr_unknown"].get(counter, 0)
            if not (low <= got <= high): problems.append(f"{port} {counter}: {got} not in [{low}, {high}]")
        members = r.execute_command("CONCORD.WITH", "ONE", "SMEMBERS", "fault:set")
        missing = set(m.encode() for m in record["sadd_acked"]) - set(members)
        if missing: problems.append(f"{port} fault:set misses {len(missing)}: {sorted(missing)[:5]}")
    for problem in problems[:20]: print(problem)
    print("checked", len(problems))
    """#

extension ProcessClusterTests {
    /// Members killed with SIGKILL and restarted, and members stopped with
    /// SIGSTOP and continued, while redis-py clients write at QUORUM on all
    /// three; after healing every member converges on every acknowledged
    /// write, read at ONE.
    @Suite struct RedisFaultTests {
        @Test func acknowledgedWritesSurviveKillsAndStopsAndEveryMemberConverges() async throws {
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                let directory = cluster.root.appendingPathComponent("faults")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let progressFile = directory.appendingPathComponent("progress")
                let recordFile = directory.appendingPathComponent("record.json")
                let ports = cluster.nodes.indices.map { String(cluster.redisPort($0)) }

                let writer = Process()
                writer.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
                writer.arguments = ["-c", faultWriterScript, progressFile.path, recordFile.path] + ports
                let writerInput = Pipe(), writerOutput = Pipe()
                writer.standardInput = writerInput
                writer.standardOutput = writerOutput
                writer.standardError = writerOutput
                try writer.run()
                defer { if writer.isRunning { writer.terminate() } }

                func acknowledged() -> Int {
                    Int((try? String(contentsOf: progressFile, encoding: .utf8)) ?? "") ?? 0
                }
                /// Waits until the writers have `count` more acknowledged
                /// operations: the faults last as long as the clients need to
                /// make progress through them, not a fixed time. The deadline
                /// only catches writers that stopped progressing; it is
                /// generous because every SADD rewrites the whole (growing)
                /// set, so the writers slow down as the test goes on, and
                /// more so on a loaded machine.
                func waitForProgress(_ count: Int, _ what: String) async throws {
                    let target = acknowledged() + count
                    try await waitUntil("\(count) more acknowledged writes \(what)", seconds: 60) { acknowledged() >= target }
                }

                try await waitForProgress(100, "before the faults")
                var random = SeededRandom(seed: 16)
                for round in 0..<3 {
                    // kill -9 one member, let the others take writes, restart
                    // it on its data directory.
                    let killed = Int.random(in: 0..<3, using: &random)
                    cluster.kill9(killed)
                    try await waitForProgress(250, "with n\(killed + 1) killed (round \(round))")
                    try cluster.start(killed)
                    try await waitUntil("n\(killed + 1) to serve Redis again", seconds: 20) {
                        try await redisCLI(cluster.redisPort(killed), ["ping"]) == "PONG"
                    }
                    try await waitForProgress(250, "after n\(killed + 1) restarted (round \(round))")

                    // SIGSTOP another member, then SIGCONT it.
                    let stopped = (killed + Int.random(in: 1..<3, using: &random)) % 3
                    cluster.signal(stopped, SIGSTOP)
                    try await waitForProgress(250, "with n\(stopped + 1) stopped (round \(round))")
                    cluster.signal(stopped, SIGCONT)
                    try await waitForProgress(250, "after n\(stopped + 1) continued (round \(round))")
                }

                try writerInput.fileHandleForWriting.close()
                try await waitUntil("the writers to stop", seconds: 20) { !writer.isRunning }
                let output = writerOutput.fileHandleForReading.readDataToEndOfFile()
                #expect(writer.terminationStatus == 0, "\(String(decoding: output, as: UTF8.self))")
                let record = try JSONSerialization.jsonObject(with: Data(contentsOf: recordFile)) as? [String: Any]
                let sets = (record?["sets"] as? [String: String])?.count ?? 0
                let increments = (record?["incr_acked"] as? [String: Int])?.values.reduce(0, +) ?? 0
                let members = (record?["sadd_acked"] as? [String])?.count ?? 0
                print("fault test: \(sets) SETs, \(increments) INCRs, \(members) SADDs acknowledged; \(record?["errors"] ?? 0) errors")
                #expect(sets > 0 && increments > 0 && members > 0)

                // Every member converges: each acknowledged write readable
                // at ONE from each member, counters within their bounds.
                var last = ""
                let healed = ContinuousClock.now
                let converged: Void? = try? await waitUntil("every member to converge", seconds: 30) {
                    do {
                        last = try await python(faultCheckScript, [recordFile.path] + ports)
                    } catch {
                        last = "\(error)"
                        return false
                    }
                    return last.hasSuffix("checked 0\n")
                }
                #expect(converged != nil, "not converged:\n\(last)")
                if converged != nil { print("fault test: converged \(ContinuousClock.now - healed) after the writers stopped") }
            }
        }
    }
}
