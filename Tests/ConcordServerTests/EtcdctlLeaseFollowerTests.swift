import ConcordServerCore
import Foundation
import Testing

/// etcdctl 3.4's lease keep-alive and time-to-live through a follower's
/// endpoint only: the follower forwards them to the leader.
extension ProcessClusterTests {
@Suite struct EtcdctlLeaseFollowerTests {
    @Test(arguments: ConsensusEngineKind.allCases)
    func keepAliveAndTimeToLiveThroughAFollowerEndpointBehaveAsOnTheLeader(engine: ConsensusEngineKind) async throws {
        try await ProcessCluster.withRunningCluster(size: 3, consensus: engine) { try await exercise($0) }
    }

    private func exercise(_ cluster: ProcessCluster) async throws {
        let leaderIndex = try await cluster.waitForLeader(seconds: 20)
        let leader = cluster.endpoint(leaderIndex)
        let follower = cluster.endpoint((leaderIndex + 1) % 3)

        // Granted on the leader's endpoint, renewed and queried on the follower's.
        let id = try ProcessCluster.grantedLeaseID(try await cluster.etcdctlOK(["lease", "grant", "60"], endpoints: leader))
        #expect(try await cluster.etcdctlOK(["put", "--lease=\(id)", "fwd/a", "1"], endpoints: leader) == "OK\n")
        #expect(try await cluster.etcdctlOK(["put", "--lease=\(id)", "fwd/b", "2"], endpoints: leader) == "OK\n")
        #expect(
            try await cluster.etcdctlOK(["lease", "keep-alive", "--once", id], endpoints: follower)
                == "lease \(id) keepalived with TTL(60)\n")
        let ttl = try await cluster.etcdctlOK(["lease", "timetolive", "--keys", id], endpoints: follower)
        #expect(ttl.hasPrefix("lease \(id) granted with TTL(60s), remaining("))
        #expect(ttl.hasSuffix("s), attached keys([fwd/a fwd/b])\n"))
        // The leader's answers for an unknown lease, relayed.
        #expect(
            try await cluster.etcdctlOK(["lease", "timetolive", "1234abcd"], endpoints: follower)
                == "lease 000000001234abcd already expired\n")
        let unknown = try await cluster.etcdctl(["lease", "keep-alive", "--once", "1234abcd"], endpoints: follower)
        #expect(unknown.status != 0)
        // etcd answers TTL 0 and its client reports the lease as not found.
        #expect(unknown.error == "Error: etcdserver: requested lease not found\n")

        // A 2 s lease kept alive only through the follower outlives its TTL
        // several times over; once the keep-alives stop, it expires.
        let keptSince = ContinuousClock.now
        let kept = try ProcessCluster.grantedLeaseID(try await cluster.etcdctlOK(["lease", "grant", "2"], endpoints: leader))
        #expect(try await cluster.etcdctlOK(["put", "--lease=\(kept)", "fwd/kept", "k"], endpoints: leader) == "OK\n")
        let keeper = try WatchProcess(endpoints: follower, command: ["lease", "keep-alive"], [kept])
        defer { keeper.stop() }
        let renewed = "lease \(kept) keepalived with TTL(2)\n"
        // etcd's client renews every TTL / 3: nine renewals span three TTLs.
        try await waitUntil("nine keep-alives through the follower", seconds: 20) {
            keeper.output.components(separatedBy: renewed).count > 9
        }
        #expect(ContinuousClock.now - keptSince > .seconds(4))
        #expect(try await cluster.etcdctlOK(["get", "fwd/kept"], endpoints: leader) == "fwd/kept\nk\n")
        let remaining = try await cluster.etcdctlOK(["lease", "timetolive", kept], endpoints: follower)
        #expect(remaining.hasPrefix("lease \(kept) granted with TTL(2s), remaining("), "\(remaining)")
        keeper.stop()
        try await waitUntil("the key of the lease no longer kept alive to vanish", seconds: 2 + 5) {
            try await cluster.etcdctlOK(["get", "fwd/kept"], endpoints: leader) == ""
        }
    }
}
}
