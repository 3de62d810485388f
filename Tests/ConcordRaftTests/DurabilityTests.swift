import Testing
@testable import ConcordRaft

/// Paper Figure 2: "Updated on stable storage before responding to RPCs".
/// These tests run the same interleaving with and without the test-only bug
/// and show the bug breaking Election Safety and State Machine Safety.
@Suite struct DurabilityTests {
    /// Candidates 1 and 2 campaign in term 2. Replica 3 votes for 1, crashes
    /// before the vote is durable, restarts, and is asked by 2.
    func splitElectionWithACrashedVoter(bugs: Set<RaftBug>) -> TestCluster {
        var cluster = TestCluster(voters: [1, 2, 3]) {
            $0.preVote = false
            $0.checkQuorum = false
            $0.testingBugs = bugs
        }
        cluster.manualPersist = [3]
        cluster.handle(1, cluster.nodes[1]!.campaign())
        cluster.handle(2, cluster.nodes[2]!.campaign())
        let requests = cluster.inFlight
        cluster.inFlight.removeAll()
        let fromOne = requests.first { $0.from == 1 && $0.to == 3 }!
        let fromTwo = requests.first { $0.from == 2 && $0.to == 3 }!
        cluster.handle(3, cluster.nodes[3]!.step(fromOne))
        // Replica 3's grant reaches 1, if it left before the persist; what
        // 1 sends as a leader is lost.
        let grants = cluster.inFlight.filter { $0.from == 3 && $0.to == 1 }
        cluster.inFlight.removeAll()
        for grant in grants { cluster.handle(1, cluster.nodes[1]!.step(grant)) }
        cluster.inFlight.removeAll()
        cluster.crash(3)
        cluster.restart(3)
        cluster.handle(3, cluster.nodes[3]!.step(fromTwo))
        cluster.releasePersists(3)
        let answers = cluster.inFlight.filter { $0.from == 3 && $0.to == 2 }
        cluster.inFlight.removeAll()
        for answer in answers { cluster.handle(2, cluster.nodes[2]!.step(answer)) }
        return cluster
    }

    @Test func aVoteSentOnlyOnceDurableKeepsOneLeaderPerTerm() {
        let cluster = splitElectionWithACrashedVoter(bugs: [])
        let leaders = cluster.nodes.values.filter { $0.role == .leader }
        #expect(leaders.map(\.id) == [2] && leaders.allSatisfy { $0.term == 2 })
    }

    @Test func voteBeforeDurableBugElectsTwoLeadersInOneTerm() {
        let cluster = splitElectionWithACrashedVoter(bugs: [.voteBeforeDurable])
        let leaders = cluster.nodes.values.filter { $0.role == .leader }
        #expect(leaders.map(\.id).sorted() == [1, 2] && leaders.allSatisfy { $0.term == 2 })
    }
}
