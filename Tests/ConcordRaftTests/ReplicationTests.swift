import Testing
@testable import ConcordRaft

@Suite struct ReplicationTests {
    /// Raft Figure 7: followers (a)–(f) with missing, extra and conflicting
    /// entries all end with the leader's log.
    @Test func figure7DivergentFollowersConvergeOnTheLeadersLog() {
        let voters: [MemberID] = [1, 2, 3, 4, 5, 6, 7]
        let leaderLog: [UInt64] = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]
        let followers: [[UInt64]] = [
            [1, 1, 1, 4, 4, 5, 5, 6, 6],  // (a) missing one entry
            [1, 1, 1, 4],  // (b) missing many
            [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],  // (c) one extra entry
            [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],  // (d) extra entries of a later term
            [1, 1, 1, 4, 4, 4, 4],  // (e) missing and conflicting
            [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],  // (f) conflicting terms 2 and 3
        ]
        var cluster = TestCluster(voters: [])
        cluster.add(1, durable: TestCluster.durable(voters: voters, terms: leaderLog, term: 7, commit: 3))
        for (offset, log) in followers.enumerated() {
            cluster.add(MemberID(offset + 2), durable: TestCluster.durable(voters: voters, terms: log, term: 7, commit: 3))
        }
        cluster.campaign(1)
        #expect(cluster.leaders == [1])
        cluster.run(rounds: 3)
        let expected = leaderLog + [8]
        for id in voters {
            #expect(cluster.logTerms(id) == expected, "replica \(id)")
            #expect(cluster.nodes[id]!.commitIndex == 11, "replica \(id)")
        }
        // Fast backtracking: (f) is repaired in a handful of rejections, not
        // one per conflicting entry.
        let rejectionsToF = cluster.delivered.filter {
            if case .appendResponse(let response) = $0.body { return $0.from == 7 && response.rejected }
            return false
        }
        #expect(rejectionsToF.count <= 3)
    }

    /// The Figure 8 set-up: S1 is elected for term 4 with an entry of term
    /// 2 at index 2, and S5 holds an entry of term 3 at index 2. While the
    /// entry S1 appends for term 4 (index 3) is kept from every follower,
    /// index 2 reaches a majority.
    func figure8(bugs: Set<RaftBug> = []) -> TestCluster {
        let voters: [MemberID] = [1, 2, 3, 4, 5]
        var cluster = TestCluster(voters: [])
        let configure: (inout RaftConfiguration) -> Void = {
            $0.entriesPerMessageMax = 1
            $0.preVote = false
            $0.checkQuorum = false
            $0.testingBugs = bugs
        }
        cluster.add(1, durable: TestCluster.durable(voters: voters, terms: [1, 2], term: 3, commit: 1), configure: configure)
        cluster.add(2, durable: TestCluster.durable(voters: voters, terms: [1, 2], term: 3, commit: 1), configure: configure)
        cluster.add(3, durable: TestCluster.durable(voters: voters, terms: [1], term: 3, commit: 1), configure: configure)
        cluster.add(4, durable: TestCluster.durable(voters: voters, terms: [1], term: 3, commit: 1), configure: configure)
        cluster.add(5, durable: TestCluster.durable(voters: voters, terms: [1, 3], term: 3, commit: 1), configure: configure)
        cluster.cutLinks = [[1, 5], [5, 1]]
        cluster.handle(1, cluster.nodes[1]!.campaign())
        for _ in 0..<3 {
            cluster.deliver(stripping: 3)
            cluster.handle(1, cluster.nodes[1]!.tick())
        }
        cluster.deliver(stripping: 3)
        return cluster
    }

    @Test func figure8ALeaderDoesNotCommitAnEarlierTermsEntryByCountingReplicas() {
        var cluster = figure8()
        #expect(cluster.leaders == [1] && cluster.nodes[1]!.term == 4)
        #expect(cluster.logTerms(3) == [1, 2] && cluster.logTerms(4) == [1, 2], "index 2 of term 2 is on every replica but S5")
        #expect(cluster.nodes[1]!.commitIndex == 1, "but S1 must not commit it")
        // Figure 8 (d): S1 crashes; S5 is elected and overwrites index 2.
        cluster.crash(1)
        cluster.heal()
        for _ in 0..<3 where cluster.leaders != [5] { cluster.campaign(5) }
        cluster.run(rounds: 3)
        #expect(cluster.leaders == [5])
        for id: MemberID in [2, 3, 4, 5] {
            #expect(cluster.logTerms(id).prefix(2) == [1, 3])
            #expect(!cluster.applied[id]!.contains { $0.index == 2 && $0.term == 2 })
        }
    }

    @Test func figure8CommitEarlierTermBugLosesACommittedEntry() {
        var cluster = figure8(bugs: [.commitEarlierTermByCounting])
        #expect(cluster.nodes[1]!.commitIndex == 2)
        #expect(cluster.applied[1]!.contains { $0.index == 2 && $0.term == 2 }, "S1 applied index 2 of term 2")
        // Figure 8 (d): S5 is elected and overwrites the "committed" entry.
        cluster.crash(1)
        cluster.heal()
        for _ in 0..<3 where cluster.leaders != [5] { cluster.campaign(5) }
        cluster.run(rounds: 3)
        #expect(cluster.leaders == [5])
        #expect(cluster.applied[5]!.contains { $0.index == 2 && $0.term == 3 }, "S5 applies a different entry at index 2")
    }

    @Test func figure8EntriesOfEarlierTermsCommitWithTheCurrentTermsEntry() {
        var cluster = figure8()
        cluster.heal()
        cluster.run(rounds: 3)
        for id: MemberID in [1, 2, 3, 4, 5] {
            #expect(cluster.logTerms(id) == [1, 2, 4])
            #expect(cluster.nodes[id]!.commitIndex == 3)
        }
    }

    @Test func proposalsReplicateAndApplyInOrderOnEveryReplica() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        for value in 0..<50 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        cluster.run(rounds: 2)
        for id: MemberID in [1, 2, 3] {
            #expect(cluster.appliedData(id) == (0..<50).map { [UInt8($0)] })
        }
    }

    @Test func appendsAreBatchedAndTheInflightWindowBoundsPipelining() throws {
        var cluster = TestCluster(voters: [1, 2]) {
            $0.entriesPerMessageMax = 4
            $0.inflightMessagesMax = 2
        }
        cluster.campaign(1)
        cluster.delivered.removeAll()
        var batch: [ProposedEntry] = []
        for value in 0..<20 { batch.append(ProposedEntry(data: [UInt8(value)])) }
        cluster.handle(1, try cluster.nodes[1]!.propose(batch: batch))
        let appends = cluster.inFlight.compactMap { message -> Int? in
            if case .appendEntries(let append) = message.body { return append.entries.count }
            return nil
        }
        #expect(appends == [4, 4], "two messages of four entries fill the window of two")
        cluster.deliver()
        #expect(cluster.nodes[2]!.lastIndex == 22 && cluster.nodes[1]!.commitIndex == 22)
    }

    @Test func aFollowerForwardsProposalsToTheLeader() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        try cluster.propose(3, [42])
        cluster.deliver()
        cluster.run(rounds: 1)
        #expect(cluster.appliedData(1) == [[42]] && cluster.appliedData(3) == [[42]])
    }

    @Test func aFollowerConfiguredToRejectNamesTheLeader() {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.proposalForwarding = .reject }
        cluster.campaign(1)
        #expect(throws: RaftRequestError.notLeader(leaderHint: 1)) { try cluster.propose(2, [1]) }
        #expect(cluster.inFlight.isEmpty)
    }

    @Test func oversizedProposalsAreRefusedAndChangeNothing() {
        var cluster = TestCluster(voters: [1]) { $0.proposalBytesMax = 4 }
        cluster.campaign(1)
        let before = cluster.nodes[1]!.lastIndex
        #expect(throws: RaftRequestError.proposalTooLarge(bytes: 5, limit: 4)) { try cluster.propose(1, [1, 2, 3, 4, 5]) }
        #expect(cluster.nodes[1]!.lastIndex == before)
    }

    /// Raft Figure 2: persistent state is durable before answering RPCs.
    @Test func voteAndAppendAcknowledgementsWaitForTheirPersist() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.manualPersist = [2]
        cluster.handle(1, cluster.nodes[1]!.campaign())
        cluster.deliver()
        #expect(cluster.nodes[2]!.vote == 1 && cluster.nodes[1]!.role == .leader)
        // Node 3 granted at once; node 2's grant waits for its persist.
        let grantsFrom2 = cluster.delivered.filter {
            if case .voteResponse(let response) = $0.body { return $0.from == 2 && !response.isPreVote }
            return false
        }
        #expect(grantsFrom2.isEmpty)
        try cluster.propose(1, [7])
        cluster.deliver()
        let acksFrom2 = cluster.delivered.filter {
            if case .appendResponse = $0.body { return $0.from == 2 }
            return false
        }
        #expect(acksFrom2.isEmpty && cluster.nodes[2]!.lastIndex >= 1)
        cluster.releasePersists(2)
        cluster.deliver()
        #expect(cluster.delivered.contains { $0.from == 2 && $0.to == 1 })
        #expect(cluster.storages[2]!.state.hardState.vote == 1)
    }

    @Test func voteBeforeDurableBugSendsTheGrantEarly() {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.testingBugs = [.voteBeforeDurable]; $0.preVote = false }
        cluster.manualPersist = [2]
        cluster.handle(1, cluster.nodes[1]!.campaign())
        cluster.deliver()
        #expect(cluster.delivered.contains { $0.from == 2 && $0.to == 1 })
    }

    @Test func aLeaderCountsItsOwnEntriesOnlyOnceDurable() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        cluster.manualPersist = [1, 2, 3]
        try cluster.propose(1, [9])
        cluster.deliver()
        #expect(cluster.nodes[1]!.commitIndex == 2)
        cluster.releasePersists(2)
        cluster.deliver()
        #expect(cluster.nodes[1]!.commitIndex == 2, "one follower's copy is not a quorum while the leader's own write is pending")
        cluster.releasePersists(1)
        cluster.deliver()
        #expect(cluster.nodes[1]!.commitIndex == 3)
    }

    @Test func restartKeepsTermVoteAndLog() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        for value in 0..<5 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        cluster.crash(2)
        cluster.restart(2)
        #expect(cluster.nodes[2]!.term == 2 && cluster.nodes[2]!.lastIndex == 7)
        cluster.run(rounds: 2)
        #expect(cluster.appliedData(2) == (0..<5).map { [UInt8($0)] })
    }

    @Test func staleTermAppendsAreRefusedUnlessTheBugIsOn() {
        for bug in [false, true] {
            var cluster = TestCluster(voters: [1, 2, 3]) { $0.testingBugs = bug ? [.acceptStaleTermAppend] : [] }
            cluster.campaign(1)
            #expect(cluster.nodes[2]!.lastIndex == 2)
            let append = RaftMessage.Body.appendEntries(
                .init(previousIndex: 2, previousTerm: 2, entries: [LogEntry(index: 3, term: 2, data: [1])], leaderCommit: 0))
            cluster.handle(2, cluster.nodes[2]!.step(RaftMessage(from: 3, to: 2, term: 0, body: append)))
            #expect(cluster.nodes[2]!.lastIndex == 2, "a term-0 message is never an append")
            cluster.nodes[2]!.term = 3
            cluster.handle(2, cluster.nodes[2]!.step(RaftMessage(from: 3, to: 2, term: 2, body: append)))
            #expect(cluster.nodes[2]!.lastIndex == (bug ? 3 : 2))
        }
    }
}
