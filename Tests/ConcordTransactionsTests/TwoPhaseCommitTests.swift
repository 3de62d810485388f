import Testing
@testable import ConcordTransactions

@Suite("Two-phase commit")
struct TwoPhaseCommitTests {
    @Test func allYesVotesCommitEverywhereAndTheCoordinatorForgetsAfterAcknowledgements() throws {
        var cluster = TwoPhaseCluster()
        try cluster.begin(1)
        cluster.deliverAll()
        for id in cluster.participantIDs {
            #expect(cluster.decision(of: 1, at: id) == .commit)
            #expect(cluster.participants[id]!.state(of: TransactionID(1)) == .decided(.commit))
        }
        #expect(cluster.coordinatorLog == [.commit(TransactionID(1), participants: [1, 2, 3]), .end(TransactionID(1))])
        #expect(cluster.coordinator!.committingTransactions.isEmpty)
    }

    @Test func oneNoVoteAbortsEverywhereWithoutAnyCoordinatorRecord() throws {
        var cluster = TwoPhaseCluster()
        cluster.votes[2] = .no
        try cluster.begin(1)
        cluster.deliverAll()
        for id in cluster.participantIDs {
            #expect(cluster.decision(of: 1, at: id) == .abort)
        }
        #expect(cluster.decision(of: 1, at: TwoPhaseCluster.coordinatorID) == .abort)
        #expect(cluster.coordinatorLog.isEmpty)
    }

    @Test func missingVotesAbortAtTheVoteTimeout() throws {
        var cluster = TwoPhaseCluster(settings: .init(voteTimeoutTicks: 5))
        try cluster.begin(1)
        cluster.crash(3)
        cluster.deliverAll()
        cluster.tick(4)
        #expect(cluster.coordinator!.outcome(of: TransactionID(1)) == nil)
        cluster.tick(1)
        #expect(cluster.decision(of: 1, at: 1) == .abort)
        #expect(cluster.decision(of: 1, at: 2) == .abort)
    }

    @Test func aYesVoteLeavesOnlyAfterItsPreparedRecord() {
        var participant = Transactions.TwoPhaseParticipant(id: 1)
        let effects = participant.onMessage(.prepare(TransactionID(7), participants: [1, 2]), from: 0)
        #expect(effects.messages.isEmpty)
        #expect(effects.records == [.prepared(TransactionID(7), coordinator: 0, participants: [1, 2])])
        #expect(effects.messagesAfterRecords == [.init(to: 0, .vote(TransactionID(7), .yes))])
        #expect(participant.uncertainTransactions == [TransactionID(7)])
    }

    @Test func theCommitDecisionLeavesOnlyAfterItsRecord() throws {
        var coordinator = Transactions.TwoPhaseCoordinator(id: 0)
        _ = try coordinator.begin(TransactionID(1), participants: [1, 2])
        #expect(coordinator.onMessage(.vote(TransactionID(1), .yes), from: 1).isEmpty)
        let effects = coordinator.onMessage(.vote(TransactionID(1), .yes), from: 2)
        #expect(effects.messages.isEmpty)
        #expect(effects.records == [.commit(TransactionID(1), participants: [1, 2])])
        #expect(effects.messagesAfterRecords.map(\.to) == [1, 2])
    }

    @Test func aRecoveredCoordinatorResendsLoggedCommitsUntilAcknowledged() throws {
        var cluster = TwoPhaseCluster()
        try cluster.begin(1)
        // Deliver prepares and votes, but crash the coordinator right after its commit record.
        while let next = cluster.queue.first, !(next.envelope.message.isDecision) {
            cluster.queue.removeFirst()
            cluster.deliver(next.envelope.message, from: next.from, to: next.envelope.to)
        }
        #expect(cluster.coordinatorLog == [.commit(TransactionID(1), participants: [1, 2, 3])])
        cluster.crash(TwoPhaseCluster.coordinatorID, losingUnsentMessages: true)
        #expect(cluster.participants[1]!.uncertainTransactions == [TransactionID(1)])
        cluster.restart(TwoPhaseCluster.coordinatorID)
        #expect(cluster.coordinator!.committingTransactions == [TransactionID(1)])
        cluster.tick()
        for id in cluster.participantIDs {
            #expect(cluster.decision(of: 1, at: id) == .commit)
        }
        #expect(cluster.coordinatorLog.last == .end(TransactionID(1)))
    }

    @Test func aRecoveredCoordinatorPresumesAbortForTransactionsItNeverDecided() throws {
        var cluster = TwoPhaseCluster()
        try cluster.begin(1)
        // Prepares reach the participants; the coordinator crashes before any vote.
        for _ in 0..<3 {
            let next = cluster.queue.removeFirst()
            cluster.deliver(next.envelope.message, from: next.from, to: next.envelope.to)
        }
        cluster.crash(TwoPhaseCluster.coordinatorID)
        cluster.restart(TwoPhaseCluster.coordinatorID)
        #expect(cluster.coordinator!.outcome(of: TransactionID(1)) == .abort)
        cluster.tick(cluster.settings.inquiryTicks)
        for id in cluster.participantIDs {
            #expect(cluster.decision(of: 1, at: id) == .abort)
        }
    }

    @Test func aRecoveredParticipantIsStillUncertainAndAsksEveryone() {
        var participant = Transactions.TwoPhaseParticipant(
            id: 2, log: [.prepared(TransactionID(4), coordinator: 0, participants: [1, 2, 3])])
        #expect(participant.uncertainTransactions == [TransactionID(4)])
        let effects = participant.onTick()
        #expect(Set(effects.messages.map(\.to)) == [0, 1, 3])
        #expect(effects.messages.allSatisfy { $0.message == .decisionRequest(TransactionID(4)) })
    }

    @Test func anUncertainParticipantLearnsTheOutcomeFromAPeerWhileTheCoordinatorIsDown() throws {
        var cluster = TwoPhaseCluster()
        try cluster.begin(1)
        // Deliver everything but the commit decisions to participants 2 and 3.
        while let next = cluster.queue.first {
            cluster.queue.removeFirst()
            if next.envelope.message.isDecision, next.envelope.to != 1 { continue }
            cluster.deliver(next.envelope.message, from: next.from, to: next.envelope.to)
        }
        cluster.crash(TwoPhaseCluster.coordinatorID)
        #expect(cluster.decision(of: 1, at: 1) == .commit)
        #expect(cluster.participants[2]!.uncertainTransactions == [TransactionID(1)])
        cluster.tick(cluster.settings.inquiryTicks)
        #expect(cluster.decision(of: 1, at: 2) == .commit)
        #expect(cluster.decision(of: 1, at: 3) == .commit)
    }

    @Test func aPeerThatNeverVotedAbortsUnilaterallyAndLogsItBeforeAnswering() {
        var participant = Transactions.TwoPhaseParticipant(id: 3)
        let effects = participant.onMessage(.decisionRequest(TransactionID(9)), from: 1)
        #expect(effects.records == [.aborted(TransactionID(9))])
        #expect(effects.messages.isEmpty)
        #expect(effects.messagesAfterRecords == [.init(to: 1, .decisionReply(TransactionID(9), .abort))])
        // A prepare that arrives later gets a no vote.
        let late = participant.onMessage(.prepare(TransactionID(9), participants: [1, 3]), from: 0)
        #expect(late.messages == [.init(to: 0, .vote(TransactionID(9), .no))])
    }

    @Test func participantsBlockWhileTheCoordinatorIsDownAfterAllVotedYes() throws {
        var cluster = TwoPhaseCluster()
        try cluster.begin(1)
        // Every vote reaches the coordinator, which logs commit and crashes
        // before any decision leaves.
        while let next = cluster.queue.first, !next.envelope.message.isDecision {
            cluster.queue.removeFirst()
            cluster.deliver(next.envelope.message, from: next.from, to: next.envelope.to)
        }
        cluster.crash(TwoPhaseCluster.coordinatorID, losingUnsentMessages: true)
        cluster.tick(10 * cluster.settings.inquiryTicks)
        for id in cluster.participantIDs {
            // Peers answer "uncertain"; nobody may decide: locks stay held.
            #expect(cluster.participants[id]!.uncertainTransactions == [TransactionID(1)])
            #expect(cluster.decision(of: 1, at: id) == nil)
        }
        #expect(cluster.delivered.contains(.decisionReply(TransactionID(1), nil)))
        cluster.restart(TwoPhaseCluster.coordinatorID)
        cluster.tick()
        for id in cluster.participantIDs {
            #expect(cluster.decision(of: 1, at: id) == .commit)
            #expect(cluster.participants[id]!.uncertainTransactions.isEmpty)
        }
    }

    @Test func aRepeatedCommitIsAcknowledgedOnlyAfterTheCommitRecord() {
        var participant = Transactions.TwoPhaseParticipant(id: 3)
        _ = participant.onMessage(.prepare(TransactionID(2), participants: [1, 3]), from: 0)
        let first = participant.onMessage(.decision(TransactionID(2), .commit), from: 0)
        #expect(first.records == [.committed(TransactionID(2))])
        // A resent decision arrives while that record may still be in flight
        // to disk: acknowledging it at once would let the coordinator forget a
        // commit this participant could lose in a crash.
        let repeated = participant.onMessage(.decision(TransactionID(2), .commit), from: 0)
        #expect(repeated.messages.isEmpty)
        #expect(repeated.messagesAfterRecords == [.init(to: 0, .acknowledge(TransactionID(2)))])
    }

    @Test func theCoordinatorRevealsACommitOnlyAfterItsRecord() throws {
        var coordinator = Transactions.TwoPhaseCoordinator(id: 0)
        _ = try coordinator.begin(TransactionID(1), participants: [1, 2])
        _ = coordinator.onMessage(.vote(TransactionID(1), .yes), from: 1)
        _ = coordinator.onMessage(.vote(TransactionID(1), .yes), from: 2)
        let inquiry = coordinator.onMessage(.decisionRequest(TransactionID(1)), from: 1)
        #expect(inquiry.messages.isEmpty)
        #expect(inquiry.messagesAfterRecords == [.init(to: 1, .decision(TransactionID(1), .commit))])
        for _ in 0..<coordinator.settings.decisionResendTicks {
            let tick = coordinator.onTick()
            #expect(tick.messages.isEmpty)
        }
    }

    @Test func aVoteForAnUnknownTransactionIsAnsweredWithAbort() {
        var coordinator = Transactions.TwoPhaseCoordinator(id: 0)
        let effects = coordinator.onMessage(.vote(TransactionID(3), .yes), from: 1)
        #expect(effects.messages == [.init(to: 1, .decision(TransactionID(3), .abort))])
    }

    @Test func badParticipantListsAreRejectedAndChangeNothing() throws {
        var coordinator = Transactions.TwoPhaseCoordinator(id: 0)
        let before = coordinator
        #expect(throws: Transactions.TransactionError.noParticipants) {
            _ = try coordinator.begin(TransactionID(1), participants: [])
        }
        #expect(throws: Transactions.TransactionError.duplicateParticipant(2)) {
            _ = try coordinator.begin(TransactionID(1), participants: [1, 2, 2])
        }
        #expect(throws: Transactions.TransactionError.tooManyParticipants(count: 65, limit: 64)) {
            _ = try coordinator.begin(TransactionID(1), participants: Array(1...65))
        }
        #expect(coordinator == before)
        _ = try coordinator.begin(TransactionID(1), participants: [1])
        #expect(throws: Transactions.TransactionError.duplicateTransaction(TransactionID(1))) {
            _ = try coordinator.begin(TransactionID(1), participants: [2])
        }
    }
}

extension Transactions.TwoPhaseMessage {
    var isDecision: Bool {
        if case .decision = self { return true }
        return false
    }
}
