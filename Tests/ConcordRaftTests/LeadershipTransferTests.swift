import Testing
@testable import ConcordRaft

@Suite struct LeadershipTransferTests {
    /// Thesis §3.10.
    @Test func leadershipTransfersToAnUpToDateFollower() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        cluster.handle(1, try cluster.nodes[1]!.transferLeadership(to: 2))
        cluster.deliver()
        #expect(cluster.leaders == [2] && cluster.nodes[2]!.term == 3)
        #expect(cluster.nodes[1]!.role == .follower && cluster.nodes[1]!.leader == 2)
    }

    @Test func leadershipTransferWaitsForALaggingTargetToCatchUp() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        cluster.isolate(3)
        for value in 0..<5 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        cluster.heal()
        cluster.handle(1, try cluster.nodes[1]!.transferLeadership(to: 3))
        #expect(throws: RaftRequestError.leadershipTransferInProgress) { try cluster.propose(1, [9]) }
        cluster.run(rounds: 3)
        #expect(cluster.leaders == [3])
        #expect(cluster.nodes[3]!.lastIndex >= 8)
    }

    @Test func leadershipTransferIsAbortedWhenTheTargetCannotCatchUpInAnElectionTimeout() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        cluster.isolate(3)
        try cluster.propose(1, [1])
        cluster.deliver()
        cluster.handle(1, try cluster.nodes[1]!.transferLeadership(to: 3))
        #expect(cluster.nodes[1]!.leadTransferee == 3)
        for _ in 0..<10 {
            cluster.tick(1)
            cluster.tick(2)
            cluster.deliver()
        }
        #expect(cluster.nodes[1]!.leadTransferee == nil)
        #expect(cluster.leaders == [1])
        try cluster.propose(1, [2])
    }

    @Test func transferringToALearnerIsRefused() throws {
        var cluster = TestCluster(voters: [1, 2], learners: [3])
        cluster.campaign(1)
        #expect(throws: RaftRequestError.invalidTransferTarget(3)) { try cluster.nodes[1]!.transferLeadership(to: 3) }
        #expect(throws: RaftRequestError.notLeader(leaderHint: 1)) { try cluster.nodes[2]!.transferLeadership(to: 1) }
    }
}
