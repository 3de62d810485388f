import Testing
@testable import ConcordRaft

@Suite struct ReadIndexTests {
    @Test func leaderAnswersAReadAfterAQuorumConfirmsItsLeadership() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        try cluster.propose(1, [5])
        cluster.deliver()
        cluster.handle(1, try cluster.nodes[1]!.readIndex(context: 77))
        #expect(cluster.readStates[1, default: []].isEmpty, "no answer before the heartbeat round")
        cluster.deliver()
        #expect(cluster.readStates[1] == [ReadState(index: 3, context: 77)])
    }

    @Test func followerReadsAreForwardedToTheLeader() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        cluster.handle(3, try cluster.nodes[3]!.readIndex(context: 9))
        cluster.deliver()
        #expect(cluster.readStates[3] == [ReadState(index: 2, context: 9)])
    }

    @Test func aPartitionedLeaderCannotAnswerReads() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        cluster.isolate(1)
        cluster.handle(1, try cluster.nodes[1]!.readIndex(context: 1))
        for _ in 0..<5 {
            cluster.tick(1)
            cluster.deliver()
        }
        #expect(cluster.readStates[1, default: []].isEmpty)
    }

    @Test func readWithoutQuorumBugAnswersOnAPartitionedLeader() throws {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.testingBugs = [.readWithoutQuorumCheck] }
        cluster.campaign(1)
        cluster.isolate(1)
        cluster.handle(1, try cluster.nodes[1]!.readIndex(context: 1))
        #expect(cluster.readStates[1] == [ReadState(index: 2, context: 1)])
    }

    @Test func readsWaitForTheLeadersFirstCommitInItsTerm() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.handle(1, cluster.nodes[1]!.campaign())
        // Deliver only until node 1 leads, before its empty entry commits.
        while cluster.nodes[1]!.role != .leader, !cluster.inFlight.isEmpty { cluster.deliver(limit: 1) }
        #expect(cluster.nodes[1]!.commitIndex == 1)
        cluster.handle(1, try cluster.nodes[1]!.readIndex(context: 3))
        #expect(cluster.readStates[1, default: []].isEmpty)
        cluster.deliver()
        #expect(cluster.readStates[1] == [ReadState(index: 2, context: 3)])
    }

    @Test func aReadOnAReplicaWithoutALeaderIsRefused() {
        var cluster = TestCluster(voters: [1, 2, 3])
        #expect(throws: RaftRequestError.notLeader(leaderHint: nil)) { try cluster.nodes[2]!.readIndex(context: 1) }
    }

    /// Thesis §6.4.1: with a clock-drift bound, a leader within its lease
    /// answers without a round of heartbeats.
    @Test func leaseReadsAnswerAtOnceOnlyWithADriftBound() throws {
        for drift in [nil, 2] as [Int?] {
            var cluster = TestCluster(voters: [1, 2, 3]) { $0.clockDriftBoundTicks = drift }
            cluster.campaign(1)
            cluster.run(rounds: 2)
            cluster.handle(1, try cluster.nodes[1]!.readIndex(context: 4))
            #expect(cluster.readStates[1, default: []].isEmpty == (drift == nil))
            // Once the lease runs out without heartbeat answers, reads need a round again.
            cluster.isolate(1)
            for _ in 0..<9 { cluster.tick(1); cluster.deliver() }
            cluster.readStates[1] = []
            cluster.handle(1, try cluster.nodes[1]!.readIndex(context: 5))
            #expect(cluster.readStates[1, default: []].isEmpty)
        }
    }

    @Test func aRestartedReplicaHonoursTheLeaseBeforeVoting() {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.clockDriftBoundTicks = 2; $0.preVote = false }
        cluster.campaign(1)
        cluster.crash(2)
        cluster.restart(2)
        cluster.campaign(3)
        #expect(cluster.leaders == [1], "replica 2 refuses to vote within an election timeout of its restart")
    }
}
