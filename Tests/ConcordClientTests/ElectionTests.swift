import ConcordClient
import Testing

@Suite struct ElectionTests {
    /// The leader's process "dies": its session stops renewing, the lease
    /// expires, and the waiting candidate becomes leader; an observer sees both.
    @Test func electionFailsOverWhenTheLeadersSessionEnds() async throws {
        try await withEtcd { etcd, client in
            let election = Election(client: client, prefix: "election/service")
            let leaderSession = try await Session(client: client, ttlSeconds: 1)
            let leadership = try await election.campaign("node-a", session: leaderSession)
            #expect(try await election.leader()?.stringValue == "node-a")
            try await election.proclaim("node-a:v2", leadership: leadership)
            let observed = StreamReader(election.observe())
            #expect(try await observed.next()?.stringValue == "node-a:v2")

            let other = try ConcordClient(endpoints: [etcd.endpoint])
            defer { other.close() }
            let candidateSession = try await Session(client: other, ttlSeconds: 30)
            let candidate = Task { try await Election(client: other, prefix: "election/service").campaign("node-b", session: candidateSession) }
            try await eventually(deadline: .seconds(10), "the candidate did not queue") {
                try await client.get(.prefix("election/service/")).kvs.count == 2
            }
            #expect(try await election.leader()?.stringValue == "node-a:v2")

            leaderSession.abandon()
            let next = try await candidate.value
            #expect(next.revision > leadership.revision)
            #expect(try await election.leader()?.stringValue == "node-b")
            // The next leader the observer reports is node-b (no one in between).
            #expect(try await observed.next()?.stringValue == "node-b")
            // The old leader can no longer proclaim.
            await #expect(throws: ConcordClientError.self) { try await election.proclaim("node-a:v3", leadership: leadership) }
            try await Election(client: other, prefix: "election/service").resign(next)
            #expect(try await election.leader() == nil)
            try await candidateSession.close()
        }
    }
}
