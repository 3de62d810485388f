import ConcordServer
import ConcordServerCore
import Foundation
import Testing

/// Writers for the ring test: one redis-py thread per port, each writing
/// at the default QUORUM until standard input closes: a distinct key with
/// `SET`, an `INCR` of one of three counters and an `SADD` of a distinct
/// member. Each operation is recorded as acknowledged or, when it failed
/// or timed out, indeterminate. The acknowledged count goes to the
/// progress file after each operation; the record goes to the record
/// file, as JSON, at the end.
private let ringWriterScript = #"""
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
    def failed():
        with lock: record["errors"] += 1
        time.sleep(0.05)
    def writer(t, port):
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5, socket_connect_timeout=2)
        i = 0
        while not stop.is_set():
            key, value = f"ring:{t}:{i}", f"v{t}.{i}"
            counter = f"ring:counter:{i % 3}"
            member = f"m{t}.{i}"
            try:
                if r.set(key, value) is True:
                    with lock: record["sets"][key] = value
                    ack()
            except redis.RedisError:
                failed()
            try:
                r.incr(counter)
                with lock: record["incr_acked"][counter] = record["incr_acked"].get(counter, 0) + 1
                ack()
            except redis.RedisError:
                with lock: record["incr_unknown"][counter] = record["incr_unknown"].get(counter, 0) + 1
                failed()
            try:
                r.sadd("ring:set", member)
                with lock: record["sadd_acked"].append(member)
                ack()
            except redis.RedisError:
                failed()
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

/// Reads every acknowledged write of the record (a JSON file) once from
/// each member, at the level given first (QUORUM: the connection's
/// default; ONE through `CONCORD.WITH`); prints one line per discrepancy
/// (a failed read is one), then `checked` and their number.
private let ringCheckScript = #"""
    import json, sys, redis
    level = sys.argv[1]
    record = json.load(open(sys.argv[2]))
    ports = [int(p) for p in sys.argv[3:]]
    prefix = [] if level == "QUORUM" else ["CONCORD.WITH", level]
    problems = []
    for port in ports:
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=20)
        keys = sorted(record["sets"])
        pipe = r.pipeline(transaction=False)
        for key in keys: pipe.execute_command(*prefix, "GET", key)
        for key, got in zip(keys, pipe.execute(raise_on_error=False)):
            want = record["sets"][key].encode()
            if got != want: problems.append(f"{port} {key}: {got!r} != {want!r}")
        counters = sorted(set(record["incr_acked"]) | set(record["incr_unknown"]))
        for counter in counters:
            try:
                got = int(r.execute_command(*prefix, "GET", counter) or 0)
            except redis.RedisError as error:
                problems.append(f"{port} {counter}: {error}")
                continue
            low = record["incr_acked"].get(counter, 0)
            high = low + record["incr_unknown"].get(counter, 0)
            if not (low <= got <= high): problems.append(f"{port} {counter}: {got} not in [{low}, {high}]")
        try:
            members = set(r.execute_command(*prefix, "SMEMBERS", "ring:set"))
            missing = set(m.encode() for m in record["sadd_acked"]) - members
            if missing: problems.append(f"{port} ring:set misses {len(missing)}: {sorted(missing)[:5]}")
        except redis.RedisError as error:
            problems.append(f"{port} ring:set: {error}")
    for problem in problems[:20]: print(problem)
    print("checked", len(problems))
    """#

extension ProcessClusterTests {
    /// The available store's ring follows the Raft group's membership, and
    /// ranges move with their keys, with real processes: `etcdctl member
    /// add --learner`, `member promote` and `member remove` while redis-py
    /// writes at QUORUM.
    @Suite struct RedisRingMembershipTests {
        @Test func aLearnerPromotedAndAMemberRemovedWithEtcdctlMoveRangesWithoutLosingAcknowledgedWrites() async throws {
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                let directory = cluster.root.appendingPathComponent("ring")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let progressFile = directory.appendingPathComponent("progress")
                let recordFile = directory.appendingPathComponent("record.json")
                let founders = EtcdctlMembershipTests.endpoints(cluster, [0, 1, 2])

                // The writers use n2 and n3, which stay members throughout.
                let writer = Process()
                writer.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
                writer.arguments = ["-c", ringWriterScript, progressFile.path, recordFile.path]
                    + [1, 2].map { String(cluster.redisPort($0)) }
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
                /// operations (the deadline only catches writers that stopped).
                func waitForProgress(_ count: Int, _ what: String) async throws {
                    let target = acknowledged() + count
                    try await waitUntil("\(count) more acknowledged writes \(what)", seconds: 60) { acknowledged() >= target }
                }
                /// Waits until the log of node `index` shows its ring with
                /// exactly `members` (the store logs every change).
                func waitForRing(_ index: Int, _ members: [Int]) async throws {
                    // The ring lists its members in increasing id order.
                    let names = members.map { ClusterMember.foundingOrJoinedID(cluster, $0) }.sorted().map { "n\($0)" }
                    try await waitUntil("\(cluster.nodes[index].name)'s ring to be \(members.map { cluster.nodes[$0].name })", seconds: 30) {
                        let changes = cluster.log(index).split(separator: "\n").filter { $0.contains("the available store's ring changed") }
                        return changes.last?.contains("to=\(names)") == true
                    }
                }

                try await waitForProgress(300, "before the ring changes")

                // A fourth member joins as a learner (member add --learner,
                // then started with a Redis listener): it serves Redis
                // clients but is not on the ring, whose members are the
                // voters.
                let (fourth, fourthID) = try await EtcdctlMembershipTests.addAndStart(
                    cluster, learner: true, endpoints: founders, redis: true)
                try await EtcdctlMembershipTests.waitForStartedMembers(cluster, [0, 1, 2, 3], endpoint: cluster.endpoint(1))
                try await cluster.waitForRedisPing(fourth, seconds: 30)
                try await waitForProgress(150, "with n4 a learner")
                let foundersRing = [0, 1, 2].map { ClusterMember.foundingOrJoinedID(cluster, $0) }.sorted().map { "n\($0)" }
                let start = cluster.log(fourth).split(separator: "\n").first { $0.contains("the available store starts") }
                #expect(start?.contains("ring=\(foundersRing)") == true, "\(start ?? "no start line")")
                for index in [0, 1, 2, fourth] {
                    #expect(!cluster.log(index).contains("the available store's ring changed"), "\(cluster.nodes[index].name) changed its ring")
                }

                // Promoted, it joins the ring on every member.
                try await waitUntil("the leader to promote n4", seconds: 30) {
                    let leader = try await cluster.waitForLeader(seconds: 10)
                    return try await cluster.etcdctl(["member", "promote", fourthID], endpoints: cluster.endpoint(leader)).status == 0
                }
                for index in [0, 1, 2, fourth] { try await waitForRing(index, [0, 1, 2, 3]) }
                try await waitForProgress(300, "after n4 joined the ring")

                // A founding member leaves: member remove; it exits by itself.
                let rows = EtcdctlMembershipTests.rows(try await cluster.etcdctlOK(["member", "list"], endpoints: cluster.endpoint(1)))
                let firstID = try #require(rows.first { $0.name == "n1" }).id
                _ = try await EtcdctlMembershipTests.removeWhenHealthy(
                    cluster, firstID, endpoints: EtcdctlMembershipTests.endpoints(cluster, [1, 2, fourth]))
                _ = try await cluster.waitForExit(0, seconds: 30)
                for index in [1, 2, fourth] { try await waitForRing(index, [1, 2, 3]) }
                try await waitForProgress(300, "after n1 left the ring")

                try writerInput.fileHandleForWriting.close()
                try await waitUntil("the writers to stop", seconds: 30) { !writer.isRunning }
                let output = writerOutput.fileHandleForReading.readDataToEndOfFile()
                #expect(writer.terminationStatus == 0, "\(String(decoding: output, as: UTF8.self))")
                let record = try JSONSerialization.jsonObject(with: Data(contentsOf: recordFile)) as? [String: Any]
                let sets = (record?["sets"] as? [String: String])?.count ?? 0
                let increments = (record?["incr_acked"] as? [String: Int])?.values.reduce(0, +) ?? 0
                let unknown = (record?["incr_unknown"] as? [String: Int])?.values.reduce(0, +) ?? 0
                let members = (record?["sadd_acked"] as? [String])?.count ?? 0
                print("ring test: \(sets) SETs, \(increments) INCRs (\(unknown) indeterminate), \(members) SADDs acknowledged; \(record?["errors"] ?? 0) errors")
                #expect(sets > 0 && increments > 0 && members > 0)

                // At once, with no time to converge: every acknowledged
                // write reads back at QUORUM from every remaining member,
                // and each counter lies between its acknowledged increments
                // and those plus the indeterminate ones.
                let remaining = [1, 2, fourth].map { String(cluster.redisPort($0)) }
                let quorum = try await python(ringCheckScript, ["QUORUM", recordFile.path] + remaining, timeoutSeconds: 120)
                #expect(quorum.hasSuffix("checked 0\n"), "at QUORUM:\n\(quorum)")

                // The handoff completes: every member holds every key (a
                // three-member ring of N = 3), read at ONE from each.
                var last = ""
                let converged: Void? = try? await waitUntil("every remaining member to hold every key", seconds: 60) {
                    last = (try? await python(ringCheckScript, ["ONE", recordFile.path] + remaining, timeoutSeconds: 120)) ?? ""
                    return last.hasSuffix("checked 0\n")
                }
                #expect(converged != nil, "at ONE:\n\(last)")
            }
        }
    }
}

extension ClusterMember {
    /// The member id of node `index` in `cluster`: founding members' ids
    /// come from their names, a joined member's from its peer URL.
    static func foundingOrJoinedID(_ cluster: ProcessCluster, _ index: Int) -> UInt64 {
        let node = cluster.nodes[index]
        if node.joinCluster == nil { return ClusterMember.id(forName: node.name) }
        return ClusterMember.id(forPeerURLs: ["\(cluster.scheme)://127.0.0.1:\(node.peerPort)"])
    }
}
