import Testing
@testable import ConcordTransactions

@Suite("Three-phase commit")
struct ThreePhaseCommitTests {
    @Test func allYesVotesGoThroughPreCommitToCommit() throws {
        var cluster = ThreePhaseCluster()
        try cluster.begin(1)
        cluster.deliverAll()
        for id in cluster.participantIDs {
            #expect(cluster.decision(of: 1, at: id) == .commit)
            #expect(cluster.participantLogs[id]!.contains(.preCommitted(TransactionID(1))))
        }
        #expect(cluster.coordinatorLog == [.preCommitting(TransactionID(1), participants: [1, 2, 3]),
                                           .decided(TransactionID(1), .commit)])
    }

    @Test func aNoVoteAbortsEverywhere() throws {
        var cluster = ThreePhaseCluster()
        cluster.votes[3] = .no
        try cluster.begin(1)
        cluster.deliverAll()
        #expect(cluster.allDecisions(of: 1) == [.abort])
        for id in cluster.participantIDs { #expect(cluster.decision(of: 1, at: id) == .abort) }
    }

    @Test func participantsAbortWithoutTheCoordinatorWhenItCrashesBeforePreCommit() throws {
        var cluster = ThreePhaseCluster()
        try cluster.begin(1)
        cluster.deliver { _, envelope in
            if case .preCommit = envelope.message { return false }
            return true
        }
        cluster.crash(ThreePhaseCluster.coordinatorID)
        cluster.tick(cluster.settings.uncertainTimeoutTicks + 3 * cluster.settings.terminationWindowTicks)
        for id in cluster.participantIDs { #expect(cluster.decision(of: 1, at: id) == .abort) }
    }

    @Test func participantsCommitWithoutTheCoordinatorWhenOneOfThemPreCommitted() throws {
        var cluster = ThreePhaseCluster()
        try cluster.begin(1)
        // Votes arrive; the coordinator's pre-commit reaches participant 3 only.
        cluster.deliverAll { _, envelope in
            if case .preCommit = envelope.message { return envelope.to != 3 }
            return false
        }
        #expect(cluster.participants[3]!.state(of: TransactionID(1)) == .preCommitted)
        cluster.crash(ThreePhaseCluster.coordinatorID)
        cluster.tick(cluster.settings.preCommittedTimeoutTicks + 3 * cluster.settings.terminationWindowTicks)
        for id in cluster.participantIDs { #expect(cluster.decision(of: 1, at: id) == .commit) }
        // The recovered coordinator learns the outcome from the participants.
        cluster.restart(ThreePhaseCluster.coordinatorID)
        #expect(cluster.coordinator!.outcome(of: TransactionID(1)) == nil)
        cluster.tick(2)
        #expect(cluster.coordinator!.outcome(of: TransactionID(1)) == .commit)
    }

    @Test func onlyTheLowestNumberedLiveParticipantLeadsTheTermination() throws {
        var cluster = ThreePhaseCluster()
        try cluster.begin(1)
        cluster.deliver { _, envelope in
            if case .preCommit = envelope.message { return false }
            return true
        }
        cluster.crash(ThreePhaseCluster.coordinatorID)
        cluster.tick(cluster.settings.uncertainTimeoutTicks + 3 * cluster.settings.terminationWindowTicks)
        // Participant 1 announced the abort; 2 and 3 learned it from 1.
        #expect(cluster.participantLogs[2]!.last == .decided(TransactionID(1), .abort))
        #expect(cluster.decisions[2]!.count == 1 && cluster.decisions[3]!.count == 1)
    }

    @Test func aParticipantThatCrashedUndecidedAsksInsteadOfLeading() throws {
        var participant = Transactions.ThreePhaseParticipant(
            id: 1, log: [.votedYes(TransactionID(5), coordinator: 0, participants: [1, 2])])
        #expect(participant.undecidedTransactions == [TransactionID(5)])
        let asked = participant.onTick()
        #expect(Set(asked.messages.map(\.to)) == [0, 2])
        // An "uncertain" answer does not make it decide; a final one does.
        #expect(participant.onMessage(.stateReply(TransactionID(5), .uncertain, recovering: false), from: 2).isEmpty)
        let learned = participant.onMessage(.stateReply(TransactionID(5), .committed, recovering: false), from: 2)
        #expect(learned.decisions == [.init(transaction: TransactionID(5), decision: .commit)])
    }

    @Test func aRecoveredParticipantLeadsAgainOnceEveryPeerHasAnswered() {
        var participant = Transactions.ThreePhaseParticipant(
            id: 1, log: [.votedYes(TransactionID(5), coordinator: 0, participants: [1, 2, 3])])
        _ = participant.onTick()
        _ = participant.onMessage(.stateReply(TransactionID(5), .uncertain, recovering: true), from: 2)
        // Only one of two peers answered: still only asking, never collecting.
        #expect(participant.onTick().messages.isEmpty)
        _ = participant.onMessage(.stateReply(TransactionID(5), .uncertain, recovering: false), from: 3)
        let termination = participant.onTick()
        #expect(Set(termination.messages.map(\.to)) == [2, 3])
        var effects = participant.onMessage(.stateReply(TransactionID(5), .uncertain, recovering: false), from: 2)
        effects.append(participant.onMessage(.stateReply(TransactionID(5), .uncertain, recovering: false), from: 3))
        for _ in 0..<participant.settings.terminationWindowTicks { effects.append(participant.onTick()) }
        // The lowest-numbered participant, hearing only "uncertain", aborts for everyone.
        #expect(effects.decisions == [.init(transaction: TransactionID(5), decision: .abort)])
        #expect(Set(effects.messagesAfterRecords.map(\.to)) == [2, 3])
    }

    @Test func aPartitionMakesThreePhaseCommitDecideBothWays() throws {
        var cluster = ThreePhaseCluster()
        try cluster.begin(1)
        // Every vote arrives; then the network splits {coordinator, 1} | {2, 3}
        // just as the pre-commits leave.
        cluster.deliver { _, envelope in
            if case .preCommit = envelope.message { return false }
            return true
        }
        cluster.sides = [[0, 1], [2, 3]]
        cluster.tick(cluster.settings.preCommittedTimeoutTicks + 3 * cluster.settings.terminationWindowTicks)
        // The coordinator's side commits (late acknowledgements mean commit);
        // the other side, all uncertain, aborts.
        #expect(cluster.decision(of: 1, at: 1) == .commit)
        #expect(cluster.decision(of: 1, at: 2) == .abort)
        #expect(cluster.decision(of: 1, at: 3) == .abort)
        #expect(cluster.allDecisions(of: 1) == [.commit, .abort])
    }

    @Test func badParticipantListsAreRejected() {
        var coordinator = Transactions.ThreePhaseCoordinator(id: 0)
        let before = coordinator
        #expect(throws: Transactions.TransactionError.noParticipants) {
            _ = try coordinator.begin(TransactionID(1), participants: [])
        }
        #expect(coordinator == before)
    }
}
