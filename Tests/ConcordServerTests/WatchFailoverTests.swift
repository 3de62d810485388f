import Foundation
import Testing

/// A watch on the leader, which is then killed with `kill -9`, resumed on a
/// survivor from its last revision + 1; and leases that outlive the leader
/// and a restart through snapshots.
extension ProcessClusterTests {
@Suite struct WatchFailoverTests {
    @Test func watchResumedAfterLeaderKillSeesEveryEventOnceAndLeasesSurvive() async throws {
        try await ProcessCluster.withRunningCluster(
            size: 3, extraArguments: ["--snapshot-count", "10", "--request-timeout", "2000"]
        ) { cluster in
            var watchers: [WatchProcess] = []
            defer { for watcher in watchers { watcher.stop() } }
            try await exercise(cluster, &watchers)
        }
    }

    private func ok(_ cluster: ProcessCluster, _ arguments: [String], endpoints: String? = nil) async throws -> String {
        try await cluster.etcdctlOK(arguments, endpoints: endpoints)
    }

    /// A key's mod revision.
    private func modRevision(_ cluster: ProcessCluster, _ key: String, endpoints: String) async throws -> Int64 {
        let json = try await ok(cluster, ["get", key, "-w", "json"], endpoints: endpoints)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        guard let kv = (object?["kvs"] as? [[String: Any]])?.first, let revision = (kv["mod_revision"] as? NSNumber)?.int64Value else {
            throw HarnessError(description: "no mod_revision in \(json)")
        }
        return revision
    }

    /// The keys of the PUT events in etcdctl's simple watch output.
    private func putKeys(_ output: String) -> [String] {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        var keys: [String] = []
        var index = 0
        while index + 2 < lines.count {
            if lines[index] == "PUT" { keys.append(String(lines[index + 1])) }
            index += 3
        }
        return keys
    }

    private func exercise(_ cluster: ProcessCluster, _ watchers: inout [WatchProcess]) async throws {
        let leader = try await cluster.waitForLeader(seconds: 20)
        let survivors = (0..<3).filter { $0 != leader }
        let survivorEndpoints = survivors.map { cluster.endpoint($0) }.joined(separator: ",")
        let allKeys = (0..<30).map { String(format: "w/%02d", $0) }

        // A lease held across the failover, with a key.
        let granted = try await ok(cluster, ["lease", "grant", "120"], endpoints: cluster.endpoint(leader))
        let id = String(granted.split(separator: " ")[1])
        #expect(try await ok(cluster, ["put", "--lease=\(id)", "held", "h"]) == "OK\n")

        // A watch held by the leader from the first key's revision on.
        #expect(try await ok(cluster, ["put", allKeys[0], "0"], endpoints: survivorEndpoints) == "OK\n")
        let first = try await modRevision(cluster, allKeys[0], endpoints: survivorEndpoints)
        let onLeader = try WatchProcess(endpoints: cluster.endpoint(leader), ["--prefix", "w/", "--rev=\(first)"])
        watchers.append(onLeader)
        for key in allKeys[1..<15] {
            #expect(try await ok(cluster, ["put", key, "v"], endpoints: survivorEndpoints) == "OK\n")
        }
        // Some events reached the watcher; then the leader dies mid-stream.
        try await waitUntil("the leader's watcher to print an event", seconds: 10) { !putKeys(onLeader.output).isEmpty }
        cluster.kill9(leader)
        onLeader.stop()
        let seen = putKeys(onLeader.output)
        #expect(seen == Array(allKeys.prefix(seen.count)))

        // Writes go on once a survivor leads.
        for key in allKeys[15...] {
            try await waitUntil("a write of \(key) after the leader died", seconds: 10) {
                (try? await ok(cluster, ["put", key, "v"], endpoints: survivorEndpoints)) == "OK\n"
            }
        }

        // Resumed on a survivor from the last revision seen + 1: every
        // remaining event, exactly once, in order.
        let last = try #require(seen.last)
        let resumeFrom = try await modRevision(cluster, last, endpoints: survivorEndpoints) + 1
        let resumed = try WatchProcess(endpoints: cluster.endpoint(survivors[0]), ["--prefix", "w/", "--rev=\(resumeFrom)"])
        watchers.append(resumed)
        try await waitUntil("the resumed watcher to print every remaining event", seconds: 10) {
            putKeys(resumed.output).count >= allKeys.count - seen.count
        }
        #expect(seen + putKeys(resumed.output) == allKeys)

        // The lease survived the failover; a restarted node recovers it
        // from its snapshot and log.
        try cluster.start(leader)
        try await waitUntil("the restarted node to list the lease", seconds: 15) {
            (try? await ok(cluster, ["lease", "list"], endpoints: cluster.endpoint(leader))) == "found 1 leases\n\(id)\n"
        }
        #expect(try await ok(cluster, ["get", "held"], endpoints: cluster.endpoint(leader)) == "held\nh\n")
        #expect(try await ok(cluster, ["lease", "revoke", id], endpoints: survivorEndpoints) == "lease \(id) revoked\n")
        try await waitUntil("the revoked lease's key to vanish on the restarted node", seconds: 10) {
            (try? await ok(cluster, ["get", "--consistency=s", "held"], endpoints: cluster.endpoint(leader))) == ""
        }
    }
}
}
