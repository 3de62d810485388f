extension Transactions {
    /// The timing of two-phase commit, in ticks of the shell's clock.
    public struct TwoPhaseSettings: Hashable, Sendable {
        /// How long the coordinator waits for every vote before it aborts.
        public var voteTimeoutTicks: Int
        /// How often the coordinator resends a commit decision to participants
        /// that have not acknowledged it.
        public var decisionResendTicks: Int
        /// How often an uncertain participant asks the coordinator and its
        /// peers for the outcome.
        public var inquiryTicks: Int

        /// Creates settings; every interval must be at least one tick.
        public init(voteTimeoutTicks: Int = 20, decisionResendTicks: Int = 10, inquiryTicks: Int = 10) {
            precondition(voteTimeoutTicks >= 1 && decisionResendTicks >= 1 && inquiryTicks >= 1,
                         "two-phase commit intervals must be at least one tick")
            self.voteTimeoutTicks = voteTimeoutTicks
            self.decisionResendTicks = decisionResendTicks
            self.inquiryTicks = inquiryTicks
        }
    }

    /// A record in the coordinator's durable log.
    ///
    /// Presumed abort: the coordinator logs only commit decisions. A
    /// transaction it has no record of is aborted, so neither the start of a
    /// transaction nor an abort needs a forced write.
    public enum TwoPhaseCoordinatorRecord: Hashable, Sendable {
        /// The decision to commit, forced to disk before any participant hears it.
        case commit(TransactionID, participants: [PeerID])
        /// Every participant acknowledged the commit; the transaction may be forgotten.
        case end(TransactionID)
    }

    /// The coordinator of two-phase commit with presumed abort (Mohan,
    /// Lindsay and Obermarck, "Transaction Management in the R* Distributed
    /// Database Management System", 1986).
    ///
    /// Phase one sends `prepare` and collects votes; one `no` or a timeout
    /// aborts. Phase two forces a commit record to the log and only then
    /// sends `commit`, resending until every participant acknowledges; then
    /// it writes an `end` record and forgets the transaction.
    ///
    /// After a crash, ``init(id:settings:log:)`` rebuilds the coordinator
    /// from its durable log: transactions with a commit record and no end
    /// record are committing again; every other transaction is presumed
    /// aborted, which is what the coordinator answers when asked.
    ///
    /// Known weakness: a participant that voted yes cannot decide alone. If
    /// the coordinator crashes after collecting the votes, participants stay
    /// uncertain, holding their locks, until it recovers (the blocking
    /// problem). Cooperative termination helps only when some participant
    /// already knows the outcome or has not voted.
    public struct TwoPhaseCoordinator: Hashable, Sendable {
        /// This coordinator's identity.
        public let id: PeerID
        /// Timing.
        public let settings: TwoPhaseSettings
        /// Ticks since this incarnation started.
        public private(set) var tick = 0
        /// Transactions collecting votes.
        private var voting: [TransactionID: Voting] = [:]
        /// Transactions whose commit decision is logged, awaiting acknowledgements.
        private var committing: [TransactionID: Committing] = [:]

        private struct Voting: Hashable, Sendable {
            var participants: [PeerID]
            var yes: Set<PeerID> = []
            var deadlineTick: Int
        }

        private struct Committing: Hashable, Sendable {
            var participants: [PeerID]
            var acknowledged: Set<PeerID> = []
            var resendTick: Int
        }

        /// Creates a coordinator, or recovers one from its durable log.
        ///
        /// - Parameters:
        ///   - id: The coordinator's identity.
        ///   - settings: Timing.
        ///   - log: Every record the coordinator made durable before a
        ///     crash, in order; empty for a fresh coordinator.
        public init(id: PeerID, settings: TwoPhaseSettings = .init(), log: [TwoPhaseCoordinatorRecord] = []) {
            self.id = id
            self.settings = settings
            for record in log {
                switch record {
                case .commit(let transaction, let participants):
                    // Resend at the first tick: participants may be waiting.
                    committing[transaction] = Committing(participants: participants, resendTick: 0)
                case .end(let transaction):
                    committing[transaction] = nil
                }
            }
        }

        /// Transactions still collecting votes.
        public var votingTransactions: [TransactionID] { voting.keys.sorted() }
        /// Transactions decided commit but not yet acknowledged by every participant.
        public var committingTransactions: [TransactionID] { committing.keys.sorted() }

        /// What this coordinator knows of a transaction's outcome: commit while
        /// it is committing, nil while votes are being collected, and abort
        /// otherwise (presumed abort).
        public func outcome(of transaction: TransactionID) -> Decision? {
            if committing[transaction] != nil { return .commit }
            if voting[transaction] != nil { return nil }
            return .abort
        }

        /// Starts a transaction: sends `prepare` to every participant.
        ///
        /// - Throws: ``TransactionError`` for an empty, oversized or repeated
        ///   participant list, an identifier in use, or too many transactions;
        ///   the coordinator is then unchanged.
        /// - Returns: The prepare messages.
        public mutating func begin(_ transaction: TransactionID, participants: [PeerID]) throws(TransactionError) -> Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage> {
            try Transactions.validate(participants: participants)
            guard voting[transaction] == nil, committing[transaction] == nil else {
                throw .duplicateTransaction(transaction)
            }
            guard voting.count + committing.count < Transactions.activeTransactionsMax else {
                throw .tooManyActiveTransactions(limit: Transactions.activeTransactionsMax)
            }
            voting[transaction] = Voting(participants: participants, deadlineTick: tick + settings.voteTimeoutTicks)
            var effects = Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage>()
            for participant in participants {
                effects.messages.append(Envelope(to: participant, .prepare(transaction, participants: participants)))
            }
            return effects
        }

        /// Handles a message from a participant.
        public mutating func onMessage(_ message: TwoPhaseMessage, from sender: PeerID) -> Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage> {
            switch message {
            case .vote(let transaction, .yes): onYes(transaction, from: sender)
            case .vote(let transaction, .no): onNo(transaction, from: sender)
            case .acknowledge(let transaction): onAcknowledge(transaction, from: sender)
            case .decisionRequest(let transaction): onDecisionRequest(transaction, from: sender)
            case .prepare, .decision, .decisionReply: Effects()
            }
        }

        /// Advances time by one tick: aborts transactions whose votes are
        /// late and resends unacknowledged commit decisions.
        public mutating func onTick() -> Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage> {
            tick += 1
            var effects = Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage>()
            for transaction in voting.keys.sorted() where voting[transaction]!.deadlineTick <= tick {
                effects.append(abort(transaction))
            }
            for transaction in committing.keys.sorted() where committing[transaction]!.resendTick <= tick {
                let state = committing[transaction]!
                committing[transaction]!.resendTick = tick + settings.decisionResendTicks
                for participant in state.participants where !state.acknowledged.contains(participant) {
                    effects.messagesAfterRecords.append(Envelope(to: participant, .decision(transaction, .commit)))
                }
            }
            return effects
        }

        private mutating func onYes(_ transaction: TransactionID, from sender: PeerID) -> Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage> {
            var effects = Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage>()
            if var state = voting[transaction] {
                guard state.participants.contains(sender) else { return effects }
                state.yes.insert(sender)
                guard state.yes.count == state.participants.count else {
                    voting[transaction] = state
                    return effects
                }
                // Every vote is yes: force the decision, then announce it.
                voting[transaction] = nil
                committing[transaction] = Committing(participants: state.participants,
                                                     resendTick: tick + settings.decisionResendTicks)
                effects.records.append(.commit(transaction, participants: state.participants))
                for participant in state.participants {
                    effects.messagesAfterRecords.append(Envelope(to: participant, .decision(transaction, .commit)))
                }
                effects.decisions.append(DecisionReport(transaction: transaction, decision: .commit))
            } else if committing[transaction] != nil {
                // A repeated vote: the participant missed the decision.
                effects.messagesAfterRecords.append(Envelope(to: sender, .decision(transaction, .commit)))
            } else {
                // A vote for a transaction this coordinator does not know
                // (it crashed before deciding, or timed out): presumed abort.
                effects.messages.append(Envelope(to: sender, .decision(transaction, .abort)))
            }
            return effects
        }

        private mutating func onNo(_ transaction: TransactionID, from sender: PeerID) -> Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage> {
            guard let state = voting[transaction], state.participants.contains(sender) else { return Effects() }
            return abort(transaction)
        }

        private mutating func abort(_ transaction: TransactionID) -> Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage> {
            guard let state = voting.removeValue(forKey: transaction) else { return Effects() }
            var effects = Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage>()
            // Presumed abort: nothing to log, no acknowledgement to wait for.
            for participant in state.participants {
                effects.messages.append(Envelope(to: participant, .decision(transaction, .abort)))
            }
            effects.decisions.append(DecisionReport(transaction: transaction, decision: .abort))
            return effects
        }

        private mutating func onAcknowledge(_ transaction: TransactionID, from sender: PeerID) -> Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage> {
            guard var state = committing[transaction], state.participants.contains(sender) else { return Effects() }
            state.acknowledged.insert(sender)
            var effects = Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage>()
            if state.acknowledged.count == state.participants.count {
                committing[transaction] = nil
                effects.records.append(.end(transaction))
            } else {
                committing[transaction] = state
            }
            return effects
        }

        private func onDecisionRequest(_ transaction: TransactionID, from sender: PeerID) -> Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage> {
            var effects = Effects<TwoPhaseCoordinatorRecord, TwoPhaseMessage>()
            // While votes are being collected the decision will come; say nothing.
            if let outcome = outcome(of: transaction) {
                effects.messagesAfterRecords.append(Envelope(to: sender, .decision(transaction, outcome)))
            }
            return effects
        }
    }
}
