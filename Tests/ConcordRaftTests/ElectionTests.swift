import Testing
@testable import ConcordRaft

@Suite struct ElectionTests {
    @Test func singleVoterElectsItselfAndCommitsAnEmptyEntry() {
        var cluster = TestCluster(voters: [1])
        cluster.campaign(1)
        let node = cluster.nodes[1]!
        #expect(node.role == .leader && node.term == 2)
        #expect(node.commitIndex == 2 && cluster.applied[1]!.map(\.term) == [2])
    }

    @Test func threeVotersElectTheFirstToCampaign() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        #expect(cluster.leaders == [1])
        #expect(cluster.nodes.values.allSatisfy { $0.term == 2 && $0.leader == 1 })
        #expect(cluster.nodes.values.allSatisfy { $0.commitIndex == 2 })
    }

    @Test func randomizedTimeoutsElectExactlyOneLeader() {
        var cluster = TestCluster(voters: [1, 2, 3, 4, 5])
        for _ in 0..<40 where cluster.leaders.isEmpty {
            cluster.tickAll()
            cluster.deliver()
        }
        #expect(cluster.leaders.count == 1)
        let term = cluster.nodes[cluster.leaders[0]]!.term
        #expect(cluster.nodes.values.allSatisfy { $0.term == term })
    }

    /// Raft §5.4.1: a candidate whose log is less up-to-date than a majority
    /// cannot win.
    @Test func electionRestrictionRefusesACandidateWithAShorterLog() {
        var cluster = TestCluster(voters: [])
        cluster.add(1, durable: TestCluster.durable(voters: [1, 2, 3], terms: [1], term: 1))
        cluster.add(2, durable: TestCluster.durable(voters: [1, 2, 3], terms: [1, 1], term: 1))
        cluster.add(3, durable: TestCluster.durable(voters: [1, 2, 3], terms: [1, 1], term: 1))
        cluster.campaign(1)
        #expect(cluster.nodes[1]!.role != .leader)
        cluster.campaign(2)
        #expect(cluster.leaders == [2])
    }

    @Test func voteWithoutLogCheckBugLetsTheShorterLogWin() {
        let buggy: (inout RaftConfiguration) -> Void = { $0.testingBugs = [.voteWithoutLogCheck] }
        var cluster = TestCluster(voters: [])
        cluster.add(1, durable: TestCluster.durable(voters: [1, 2, 3], terms: [1], term: 1), configure: buggy)
        cluster.add(2, durable: TestCluster.durable(voters: [1, 2, 3], terms: [1, 1], term: 1), configure: buggy)
        cluster.add(3, durable: TestCluster.durable(voters: [1, 2, 3], terms: [1, 1], term: 1), configure: buggy)
        cluster.campaign(1)
        #expect(cluster.leaders == [1])
    }

    /// Raft §5.2: with votes split, nobody wins the term; a later election does.
    @Test func splitVotesLeaveATermWithoutLeaderAndALaterTermElects() {
        var cluster = TestCluster(voters: [1, 2, 3, 4]) { $0.preVote = false }
        // 1 and 2 campaign at once; 3 hears 1 first, 4 hears 2 first.
        cluster.handle(1, cluster.nodes[1]!.campaign())
        cluster.handle(2, cluster.nodes[2]!.campaign())
        cluster.cutLinks = [[1, 4], [2, 3]]
        cluster.deliver()
        #expect(cluster.leaders.isEmpty)
        #expect(cluster.nodes[1]!.role == .candidate && cluster.nodes[2]!.role == .candidate)
        #expect(cluster.nodes[1]!.term == 2 && cluster.nodes[2]!.term == 2)
        cluster.heal()
        for _ in 0..<60 where cluster.leaders.isEmpty {
            cluster.tickAll()
            cluster.deliver()
        }
        #expect(cluster.leaders.count == 1)
        #expect(cluster.nodes[cluster.leaders[0]]!.term >= 3)
    }

    /// Thesis §6.2: a leader that cannot hear from a quorum steps down.
    @Test func checkQuorumMakesAPartitionedLeaderStepDown() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        cluster.isolate(1)
        for _ in 0..<(2 * 10 + 1) {
            cluster.tick(1)
            cluster.deliver()
        }
        #expect(cluster.nodes[1]!.role == .follower)
        for _ in 0..<60 where !cluster.leaders.contains(where: { $0 != 1 }) {
            cluster.tick(2)
            cluster.tick(3)
            cluster.deliver()
        }
        #expect(cluster.leaders.count == 1 && cluster.leaders[0] != 1)
    }

    @Test func withoutCheckQuorumAPartitionedLeaderStaysLeader() {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.checkQuorum = false }
        cluster.campaign(1)
        cluster.isolate(1)
        for _ in 0..<40 { cluster.tick(1) }
        #expect(cluster.nodes[1]!.role == .leader)
    }

    /// Thesis §9.6: a node rejoining after a partition does not depose a
    /// healthy leader when it must win a pre-vote first.
    @Test func preVoteStopsARejoiningNodeFromDisruptingTheLeader() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        cluster.isolate(3)
        for _ in 0..<50 {
            cluster.tickAll()
            cluster.deliver()
        }
        #expect(cluster.nodes[3]!.term == 2, "pre-votes do not raise the term")
        cluster.heal()
        cluster.run(rounds: 5)
        #expect(cluster.leaders == [1] && cluster.nodes[1]!.term == 2)
        #expect(cluster.nodes[3]!.leader == 1)
    }

    @Test func withoutPreVoteARejoiningNodeDisruptsTheLeader() {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.preVote = false }
        cluster.campaign(1)
        cluster.isolate(3)
        for _ in 0..<50 {
            cluster.tickAll()
            cluster.deliver()
        }
        #expect(cluster.nodes[3]!.term > 2)
        cluster.heal()
        cluster.run(rounds: 2)
        #expect(cluster.nodes[1]!.term > 2, "the stale leader learns the higher term and steps down")
    }

    /// Thesis §4.2.3: while followers hear a leader they ignore vote requests.
    @Test func followersInLeaseIgnoreVoteRequests() {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.preVote = false }
        cluster.campaign(1)
        cluster.campaign(2)
        #expect(cluster.leaders == [1] && cluster.nodes[1]!.term == 2)
        #expect(cluster.nodes[3]!.term == 2)
    }

    /// Paper §5.1: servers retry RPCs that get no timely answer.
    @Test func aCandidateResendsLostVoteRequestsWithinItsElection() {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.preVote = false }
        cluster.handle(1, cluster.nodes[1]!.campaign())
        cluster.inFlight.removeAll()
        cluster.tick(1)
        let resent = cluster.inFlight.filter { if case .voteRequest = $0.body { return true } else { return false } }
        #expect(resent.map(\.to).sorted() == [2, 3])
        cluster.deliver()
        #expect(cluster.leaders == [1] && cluster.nodes[1]!.term == 2)
    }

    @Test func aLearnerNeverCampaigns() {
        var cluster = TestCluster(voters: [1, 2], learners: [3])
        for _ in 0..<100 { cluster.tick(3) }
        #expect(cluster.nodes[3]!.role == .follower && cluster.nodes[3]!.term == 1)
        #expect(cluster.inFlight.isEmpty)
    }
}
