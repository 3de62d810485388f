import ConcordServer
import Foundation
import Testing

/// etcdctl 3.4's cluster and maintenance commands against a three-process
/// Concord cluster: member list, endpoint status / health / hashkv,
/// alarm list, defrag, snapshot save and move-leader.
extension ProcessClusterTests {
@Suite struct EtcdctlMaintenanceTests {
    @Test func etcdctlMemberEndpointAlarmDefragSnapshotAndMoveLeaderBehaveAsEtcd() async throws {
        try await ProcessCluster.withRunningCluster(size: 3) { try await exercise($0) }
    }

    private func ok(_ cluster: ProcessCluster, _ arguments: [String], input: String? = nil, endpoints: String? = nil) async throws -> String {
        try await cluster.etcdctlOK(arguments, input: input, endpoints: endpoints)
    }

    private func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    private func hexID(_ name: String) -> String { String(ClusterMember.id(forName: name), radix: 16) }

    private func exercise(_ cluster: ProcessCluster) async throws {
        for index in 0..<5 { #expect(try await ok(cluster, ["put", "k\(index)", "v\(index)"]) == "OK\n") }
        #expect(try await ok(cluster, ["del", "k0"]) == "1\n")

        // member list: simple (hex ids, names, peer URLs, the client URL
        // every member published) and JSON.
        let first = cluster.endpoint(0)
        var rows: [[String]] = []
        try await waitUntil("every member's client URL", seconds: 10) {
            rows = try await ok(cluster, ["member", "list"], endpoints: first).split(separator: "\n").map { $0.components(separatedBy: ", ") }
            return rows.count == 3 && rows.allSatisfy { $0.count == 6 && !$0[4].isEmpty }
        }
        for node in cluster.nodes {
            let row = try #require(rows.first { $0.count >= 6 && $0[2] == node.name })
            #expect(row[0] == hexID(node.name))
            #expect(row[1] == "started")
            #expect(row[3] == "http://127.0.0.1:\(node.peerPort)")
            #expect(row[4] == "http://127.0.0.1:\(node.clientPort)")
            #expect(row[5] == "false")
        }
        let listed = try #require(try json(try await ok(cluster, ["member", "list", "-w", "json"], endpoints: first)) as? [String: Any])
        let members = try #require(listed["members"] as? [[String: Any]])
        #expect(Set(members.compactMap { $0["name"] as? String }) == Set(cluster.nodes.map(\.name)))
        #expect(members.allSatisfy { ($0["peerURLs"] as? [String])?.count == 1 })
        let table = try await ok(cluster, ["member", "list", "-w", "table"], endpoints: first)
        #expect(table.contains("IS LEARNER"))
        for node in cluster.nodes { #expect(table.contains("| \(hexID(node.name)) |")) }

        // endpoint status on every member: one leader, agreeing terms, version.
        let statuses = try #require(try json(try await ok(cluster, ["endpoint", "status", "-w", "json"])) as? [[String: Any]])
        #expect(statuses.count == 3)
        var leaders: Set<UInt64> = []
        for entry in statuses {
            let status = try #require(entry["Status"] as? [String: Any])
            #expect((status["version"] as? String)?.hasPrefix("3.4.") == true)
            #expect(((status["dbSize"] as? NSNumber)?.int64Value ?? 0) > 0)
            #expect(((status["raftIndex"] as? NSNumber)?.int64Value ?? 0) > 0)
            #expect(((status["raftTerm"] as? NSNumber)?.int64Value ?? 0) > 0)
            if let leader = status["leader"] as? NSNumber { leaders.insert(leader.uint64Value) }
        }
        #expect(leaders.count == 1)
        let table2 = try await ok(cluster, ["endpoint", "status", "-w", "table"])
        #expect(table2.contains("3.4.0-concord"))

        // endpoint health on every member.
        let health = try await cluster.etcdctl(["endpoint", "health"])
        #expect(health.status == 0)
        for index in 0..<3 { #expect((health.output + health.error).contains("\(cluster.endpoint(index)) is healthy")) }

        // endpoint hashkv: equal on every member once all applied the same revision.
        var hashes: [Int64] = []
        try await waitUntil("equal hashes", seconds: 10) {
            let answers = try #require(try json(try await ok(cluster, ["endpoint", "hashkv", "-w", "json"])) as? [[String: Any]])
            hashes = answers.compactMap { (($0["HashKV"] as? [String: Any])?["hash"] as? NSNumber)?.int64Value }
            return hashes.count == 3 && Set(hashes).count == 1
        }
        #expect(hashes[0] != 0)
        let hashedRevision = try #require(
            ((try json(try await ok(cluster, ["endpoint", "status", "-w", "json"], endpoints: first)) as? [[String: Any]])?
                .first?["Status"] as? [String: Any]).flatMap { ($0["header"] as? [String: Any])?["revision"] as? NSNumber }?.int64Value)
        // A write changes the hash.
        #expect(try await ok(cluster, ["put", "k9", "v9"]) == "OK\n")
        try await waitUntil("hash after a write", seconds: 10) {
            let answers = try #require(try json(try await ok(cluster, ["endpoint", "hashkv", "-w", "json"])) as? [[String: Any]])
            let after = answers.compactMap { (($0["HashKV"] as? [String: Any])?["hash"] as? NSNumber)?.int64Value }
            return after.count == 3 && Set(after).count == 1 && after[0] != hashes[0]
        }

        // The hash at an earlier revision stays what it was; a compacted or
        // future revision is refused.
        let earlier = try #require(try json(try await ok(cluster, ["endpoint", "hashkv", "--rev=\(hashedRevision)", "-w", "json"])) as? [[String: Any]])
        #expect(earlier.compactMap { (($0["HashKV"] as? [String: Any])?["hash"] as? NSNumber)?.int64Value } == [hashes[0], hashes[0], hashes[0]])
        let future = try await cluster.etcdctl(["endpoint", "hashkv", "--rev=\(hashedRevision + 100)"], endpoints: first)
        #expect(future.status != 0)
        #expect(future.error.contains("future revision"), "\(future.error)")
        #expect(try await ok(cluster, ["compaction", "\(hashedRevision)"]) == "compacted revision \(hashedRevision)\n")
        let compacted = try await cluster.etcdctl(["endpoint", "hashkv", "--rev=\(hashedRevision - 1)"], endpoints: first)
        #expect(compacted.status != 0)
        #expect(compacted.error.contains("compacted"), "\(compacted.error)")
        try await waitUntil("equal hashes after compaction", seconds: 10) {
            let answers = try #require(try json(try await ok(cluster, ["endpoint", "hashkv", "-w", "json"])) as? [[String: Any]])
            let after = answers.compactMap { $0["HashKV"] as? [String: Any] }
            let values = after.compactMap { ($0["hash"] as? NSNumber)?.int64Value }
            let compactions = after.compactMap { ($0["compact_revision"] as? NSNumber)?.int64Value }
            return values.count == 3 && Set(values).count == 1 && compactions == [hashedRevision, hashedRevision, hashedRevision]
        }

        // alarm list (none) and defrag (answered).
        #expect(try await ok(cluster, ["alarm", "list"]) == "")
        #expect(try await ok(cluster, ["alarm", "disarm"]) == "")
        let defrag = try await ok(cluster, ["defrag"])
        for index in 0..<3 { #expect(defrag.contains("Finished defragmenting etcd member[\(cluster.endpoint(index))]")) }

        // snapshot save: a non-empty file.
        let file = cluster.root.appendingPathComponent("backup.db")
        let saved = try await cluster.etcdctl(["snapshot", "save", file.path], endpoints: first)
        #expect(saved.status == 0, "\(saved.error)")
        #expect((saved.output + saved.error).contains("Snapshot saved at \(file.path)"))
        let size = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue ?? 0
        #expect(size > 32 && (size - 32) % 512 == 0)

        // move-leader to a follower: the leader changes to it.
        let leaderIndex = try await cluster.waitForLeader(seconds: 20)
        let targetIndex = (leaderIndex + 1) % 3
        let target = hexID(cluster.nodes[targetIndex].name)
        let moved = try await ok(cluster, ["move-leader", target])
        #expect(moved.contains("Leadership transferred from \(hexID(cluster.nodes[leaderIndex].name)) to \(target)"))
        try await waitUntil("the new leader", seconds: 10) { await cluster.leader() == targetIndex }
        // A follower refuses MoveLeader with etcd's error.
        let refused = try await cluster.etcdctl(["move-leader", target], endpoints: cluster.endpoint(leaderIndex))
        #expect(refused.status != 0)
        #expect(refused.error.contains("not leader") || refused.error.contains("no leader"), "\(refused.error)")
        // An unknown member is refused.
        let unknown = try await cluster.etcdctl(["move-leader", "1234abcd"])
        #expect(unknown.status != 0)
        // A bad membership change is refused and changes nothing.
        let add = try await cluster.etcdctl(["member", "add", "n4", "--peer-urls=https://127.0.0.1:1"])
        #expect(add.status != 0)
        #expect(add.error.contains("etcdserver: given member URLs are invalid"), "\(add.error)")
        #expect(try await ok(cluster, ["member", "list"], endpoints: first).split(separator: "\n").count == 3)
    }
}
}
