import Foundation
import Testing

/// `etcdctl snapshot save` from a three-process cluster, then
/// `concord snapshot status` and `concord snapshot restore` into three new
/// data directories, and a new three-process cluster started from them.
extension ProcessClusterTests {
@Suite struct SnapshotRestoreProcessTests {
    private func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    /// The header revision of `etcdctl get KEY -w json`.
    private func revision(_ cluster: ProcessCluster, endpoint: String) async throws -> Int64 {
        let object = try #require(try json(try await cluster.etcdctlOK(["get", "a", "-w", "json"], endpoints: endpoint)) as? [String: Any])
        return try #require(((object["header"] as? [String: Any])?["revision"] as? NSNumber)?.int64Value)
    }

    private func concord(_ arguments: [String]) async throws -> CommandResult {
        try await runCommand(try concordBinary().path, arguments)
    }

    private func restore(_ file: String, into cluster: ProcessCluster, _ index: Int) async throws -> CommandResult {
        let node = cluster.nodes[index]
        return try await concord([
            "snapshot", "restore", file, "--name", node.name, "--initial-cluster", cluster.initialCluster,
            "--initial-advertise-peer-urls", "http://127.0.0.1:\(node.peerPort)", "--data-dir", node.dataDirectory.path,
        ])
    }

    @Test func aSnapshotSavedFromOneClusterIsRestoredIntoANewClusterWithItsKeysRevisionAndLease() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("concord-snapshot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let file = work.appendingPathComponent("backup.db").path
        var savedRevision: Int64 = 0
        var savedHash: Int64 = 0
        var leaseID = ""

        try await ProcessCluster.withRunningCluster(size: 3) { cluster in
            let endpoint = cluster.endpoint(0)
            for (key, value) in [("a", "1"), ("b", "2"), ("a", "3"), ("dir/c", "4")] {
                #expect(try await cluster.etcdctlOK(["put", key, value]) == "OK\n")
            }
            let granted = try await cluster.etcdctlOK(["lease", "grant", "600"])
            leaseID = String(granted.split(separator: " ")[1])
            #expect(try await cluster.etcdctlOK(["put", "--lease=\(leaseID)", "leased", "x"]) == "OK\n")
            // A linearizable read on the member saved from: it has applied every write.
            savedRevision = try await revision(cluster, endpoint: endpoint)
            let saved = try await cluster.etcdctl(["snapshot", "save", file], endpoints: endpoint)
            #expect(saved.status == 0, "\(saved.error)")
            let answers = try #require(
                try json(try await cluster.etcdctlOK(["endpoint", "hashkv", "--rev=\(savedRevision)", "-w", "json"], endpoints: endpoint))
                    as? [[String: Any]])
            savedHash = try #require(((answers.first?["HashKV"] as? [String: Any])?["hash"] as? NSNumber)?.int64Value)
        }
        // The store starts at revision 1; five puts later it is at 6.
        #expect(savedRevision == 6)

        // status: the revision, the four live keys and the HashKV hash at that revision.
        let status = try await concord(["snapshot", "status", file, "-w", "json"])
        #expect(status.status == 0, "\(status.error)")
        let report = try #require(try json(status.output) as? [String: Any])
        #expect((report["revision"] as? NSNumber)?.int64Value == savedRevision)
        #expect((report["totalKey"] as? NSNumber)?.int64Value == 4)
        #expect((report["hash"] as? NSNumber)?.int64Value == savedHash)
        let size = try #require((try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue)
        #expect((report["totalSize"] as? NSNumber)?.intValue == size)
        let table = try await concord(["snapshot", "status", file, "--write-out", "table"])
        #expect(table.output.contains("| HASH "), "\(table.output)")
        #expect(table.output.contains("| \(savedRevision) "), "\(table.output)")

        let cluster = try ProcessCluster(size: 3)
        do {
            try await restoreAndServe(file: file, work: work, into: cluster, savedRevision: savedRevision, leaseID: leaseID)
        } catch {
            Issue.record("\(error)\n\(cluster.logs())")
        }
        await cluster.shutdown()
    }

    private func restoreAndServe(
        file: String, work: URL, into cluster: ProcessCluster, savedRevision: Int64, leaseID: String
    ) async throws {
        // A truncated or corrupted file is refused, and nothing is written.
        let contents = try Data(contentsOf: URL(fileURLWithPath: file))
        let truncated = work.appendingPathComponent("truncated.db").path
        try contents.prefix(contents.count - 100).write(to: URL(fileURLWithPath: truncated))
        var corruptedBytes = [UInt8](contents)
        corruptedBytes[10] ^= 0xFF
        let corrupted = work.appendingPathComponent("corrupted.db").path
        try Data(corruptedBytes).write(to: URL(fileURLWithPath: corrupted))
        for bad in [truncated, corrupted] {
            let refused = try await restore(bad, into: cluster, 0)
            #expect(refused.status != 0)
            #expect(refused.error.contains("Error: \(bad): "), "\(refused.error)")
            #expect(!FileManager.default.fileExists(atPath: cluster.nodes[0].dataDirectory.path))
            let badStatus = try await concord(["snapshot", "status", bad])
            #expect(badStatus.status != 0)
        }
        #expect(try await restore(truncated, into: cluster, 0).error.contains("truncated"))
        #expect(try await restore(corrupted, into: cluster, 0).error.contains("SHA-256 does not match"))

        // Restore each member of the new cluster; a second restore into a used directory is refused.
        for index in 0..<3 {
            let restored = try await restore(file, into: cluster, index)
            #expect(restored.status == 0, "\(restored.error)")
        }
        let again = try await restore(file, into: cluster, 0)
        #expect(again.status != 0)
        #expect(again.error.contains("already exists and is not empty"), "\(again.error)")

        // The new cluster serves the saved keys, history, revision and lease.
        try cluster.startAll()
        let leader = try await cluster.waitForLeader(seconds: 20)
        let endpoint = cluster.endpoint(leader)
        #expect(try await cluster.etcdctlOK(["get", "a"]) == "a\n3\n")
        #expect(try await cluster.etcdctlOK(["get", "--prefix", "dir/"]) == "dir/c\n4\n")
        #expect(try await cluster.etcdctlOK(["get", "leased"]) == "leased\nx\n")
        #expect(try await revision(cluster, endpoint: endpoint) == savedRevision)
        let ttl = try await cluster.etcdctlOK(["lease", "timetolive", "--keys", leaseID], endpoints: endpoint)
        #expect(ttl.hasPrefix("lease \(leaseID) granted with TTL(600s)"), "\(ttl)")
        #expect(ttl.hasSuffix("attached keys([leased])\n"), "\(ttl)")
        // Every member serves the restored history, and writes go on from the saved revision.
        for index in 0..<3 {
            let old = try await cluster.etcdctlOK(["get", "a", "--rev=\(savedRevision - 3)"], endpoints: cluster.endpoint(index))
            #expect(old == "a\n1\n")
        }
        #expect(try await cluster.etcdctlOK(["put", "after", "y"]) == "OK\n")
        #expect(try await revision(cluster, endpoint: endpoint) == savedRevision + 1)
    }
}
}
