import ConcordServerCore
import Foundation
import Testing

/// etcdctl 3.4's lease commands against a three-process Concord cluster.
extension ProcessClusterTests {
@Suite struct EtcdctlLeaseTests {
    @Test(arguments: ConsensusEngineKind.allCases)
    func etcdctlLeaseGrantAttachKeepAliveRevokeAndExpiryBehaveAsEtcd(engine: ConsensusEngineKind) async throws {
        try await ProcessCluster.withRunningCluster(size: 3, consensus: engine) { try await exercise($0) }
    }

    private func ok(_ cluster: ProcessCluster, _ arguments: [String], input: String? = nil, endpoints: String? = nil) async throws -> String {
        try await cluster.etcdctlOK(arguments, input: input, endpoints: endpoints)
    }

    private func exercise(_ cluster: ProcessCluster) async throws {
        let leaderIndex = try await cluster.waitForLeader(seconds: 20)
        let leader = cluster.endpoint(leaderIndex)
        let follower = cluster.endpoint((leaderIndex + 1) % 3)

        // Grant (through a follower: proposals are forwarded), attach keys.
        let granted = try await ok(cluster, ["lease", "grant", "60"], endpoints: follower)
        let id = try ProcessCluster.grantedLeaseID(granted)
        #expect(granted == "lease \(id) granted with TTL(60s)\n")
        #expect(try await ok(cluster, ["put", "--lease=\(id)", "held/a", "1"]) == "OK\n")
        #expect(try await ok(cluster, ["put", "--lease=\(id)", "held/b", "2"]) == "OK\n")
        #expect(try await ok(cluster, ["put", "free", "3"]) == "OK\n")
        let json = try await ok(cluster, ["get", "held/a", "-w", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let kv = try #require((object["kvs"] as? [[String: Any]])?.first)
        #expect((kv["lease"] as? NSNumber)?.int64Value == Int64(id, radix: 16))

        // A put naming an unknown lease is refused and changes nothing.
        let unknown = try await cluster.etcdctl(["put", "--lease=1234abcd", "held/c", "x"])
        #expect(unknown.status != 0)
        #expect(unknown.error.contains("etcdserver: requested lease not found"))
        #expect(try await ok(cluster, ["get", "held/c"]) == "")

        // TimeToLive with keys, keep-alive, list (answered by the leader).
        let ttl = try await ok(cluster, ["lease", "timetolive", "--keys", id], endpoints: leader)
        #expect(ttl.hasPrefix("lease \(id) granted with TTL(60s), remaining("))
        #expect(ttl.hasSuffix("s), attached keys([held/a held/b])\n"))
        #expect(try await ok(cluster, ["lease", "keep-alive", "--once", id], endpoints: leader) == "lease \(id) keepalived with TTL(60)\n")
        #expect(try await ok(cluster, ["lease", "list"]) == "found 1 leases\n\(id)\n")

        // Revoke: the attached keys vanish, the others stay.
        #expect(try await ok(cluster, ["lease", "revoke", id]) == "lease \(id) revoked\n")
        #expect(try await ok(cluster, ["get", "--prefix", "held/"]) == "")
        #expect(try await ok(cluster, ["get", "free"]) == "free\n3\n")
        #expect(try await ok(cluster, ["lease", "timetolive", id], endpoints: leader) == "lease \(id) already expired\n")
        let again = try await cluster.etcdctl(["lease", "revoke", id])
        #expect(again.status != 0)
        #expect(again.error.contains("etcdserver: requested lease not found"))
        #expect(try await ok(cluster, ["lease", "list"]) == "found 0 leases\n")

        // A lease nobody keeps alive expires by itself: the leader proposes
        // its revoke once the TTL has run out, and its key vanishes on every
        // node within TTL + 5 s.
        let start = ContinuousClock.now
        let short = try ProcessCluster.grantedLeaseID(try await ok(cluster, ["lease", "grant", "2"]))
        #expect(try await ok(cluster, ["put", "--lease=\(short)", "ephemeral", "e"]) == "OK\n")
        try await waitUntil("the expired lease's key to vanish", seconds: 2 + 5) {
            for index in 0..<3 {
                let read = try await ok(cluster, ["get", "--consistency=s", "ephemeral"], endpoints: cluster.endpoint(index))
                if !read.isEmpty { return false }
            }
            return true
        }
        // Not before its TTL ran out (measured from before the grant).
        #expect(ContinuousClock.now - start >= .seconds(2))
        #expect(try await ok(cluster, ["lease", "list"]) == "found 0 leases\n")

        // Kept alive, a short lease outlives its TTL several times over;
        // once the keep-alives stop, it expires.
        let keptSince = ContinuousClock.now
        let kept = try ProcessCluster.grantedLeaseID(try await ok(cluster, ["lease", "grant", "2"], endpoints: leader))
        #expect(try await ok(cluster, ["put", "--lease=\(kept)", "kept", "k"]) == "OK\n")
        let keeper = try WatchProcess(endpoints: leader, command: ["lease", "keep-alive"], [kept])
        defer { keeper.stop() }
        let renewed = "lease \(kept) keepalived with TTL(2)\n"
        // etcd's client renews every TTL / 3: six renewals span more than the TTL.
        try await waitUntil("six keep-alives", seconds: 15) { keeper.output.components(separatedBy: renewed).count > 6 }
        #expect(ContinuousClock.now - keptSince > .seconds(2))
        #expect(try await ok(cluster, ["get", "kept"]) == "kept\nk\n")
        keeper.stop()
        try await waitUntil("the key of the lease no longer kept alive to vanish", seconds: 2 + 5) {
            try await ok(cluster, ["get", "kept"]) == ""
        }
    }
}
}
