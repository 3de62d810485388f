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
    /// in turn (at the default `everysec`).
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
    }
}
