import ConcordClient
import Testing

@Suite struct FailoverTests {
    @Test func requestsFailOverFromADeadEndpointToALiveOne() async throws {
        try await withEtcd { etcd, _ in
            let deadPort = try DeadPort()
            let dead = deadPort.endpoint
            let client = try ConcordClient(endpoints: [dead, etcd.endpoint])
            defer { client.close() }
            #expect(client.preferredEndpoint.description == dead)
            try await client.put("failover/k", "v")
            #expect(try await client.get("failover/k")?.stringValue == "v")
            #expect(client.preferredEndpoint.description == etcd.endpoint)
        }
    }

    @Test func everyEndpointDownIsATypedUnavailableError() async throws {
        let deadPort = try DeadPort()
        let client = try ConcordClient(endpoints: [deadPort.endpoint])
        defer { client.close() }
        do {
            _ = try await client.get("k")
            Issue.record("a read with no live endpoint succeeded")
        } catch {
            #expect(error.code == .unavailable)
            if case let .unavailable(endpoints, _) = error { #expect(endpoints == client.endpoints.map(\.description)) }
        }
    }

    /// A three-member etcd loses the member the client talks to; reads,
    /// writes and a watch carry on through the others.
    @Test func clientAndWatchSurviveLosingAMemberOfAThreeNodeCluster() async throws {
        let names = ["m0", "m1", "m2"]
        let peerPorts = try names.map { _ in try EtcdProcess.freePort() }
        let cluster = zip(names, peerPorts).map { "\($0)=http://127.0.0.1:\($1)" }.joined(separator: ",")
        try await EtcdSlots.shared.acquire()
        defer { Task { await EtcdSlots.shared.release() } }
        let members = try zip(names, peerPorts).map { try EtcdProcess(name: $0, peerPort: $1, initialCluster: cluster) }
        defer { for member in members { member.stop() } }
        for member in members { try member.start() }
        let client = try ConcordClient(endpoints: members.map(\.endpoint))
        defer { client.close() }
        try await EtcdProcess.waitReady(client, deadline: .seconds(30))

        let start = try await client.put("cluster/marker", "0")
        var options = WatchOptions()
        options.startRevision = start.revision + 1
        let watcher = Task { try await collect(client.watch(.prefix("cluster/k"), options: options), count: 20, within: .seconds(90)) }
        for i in 0..<10 { try await client.put("cluster/k\(i)", "\(i)") }
        let preferred = client.preferredEndpoint.description
        members.first { $0.endpoint == preferred }!.kill()
        // Generous: a put that reached a follower of the killed leader waits
        // out its whole request timeout (5 s) before the next try, and the
        // test is about carrying on, not about how fast.
        try await eventually(deadline: .seconds(60), "the cluster did not serve writes after losing a member") {
            try await client.put("cluster/probe", "x")
            return true
        }
        #expect(client.preferredEndpoint.description != preferred)
        for i in 10..<20 { try await client.put("cluster/k\(i)", "\(i)") }
        let seen = try await watcher.value
        #expect(seen.map(\.kv.key) == (0..<20).map { "cluster/k\($0)" })
    }
}
