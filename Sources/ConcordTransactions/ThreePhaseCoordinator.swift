extension Transactions {
    /// A record in the three-phase commit coordinator's durable log.
    public enum ThreePhaseCoordinatorRecord: Hashable, Sendable {
        /// Every vote was yes; forced before any `preCommit` leaves.
        case preCommitting(TransactionID, participants: [PeerID])
        /// The outcome, forced before it is announced.
        case decided(TransactionID, Decision)
    }

    /// The coordinator of three-phase commit.
    ///
    /// Phase one sends `canCommit` and collects votes (a `no` or a timeout
    /// aborts). Phase two logs and sends `preCommit` and collects
    /// acknowledgements; phase three logs the commit and sends `doCommit`.
    /// When acknowledgements are late it commits anyway: a participant that
    /// pre-committed may already have committed through the termination
    /// protocol, so commit is the only safe choice.
    ///
    /// A recovered coordinator never decides a pre-committing transaction on
    /// its own: participants terminate without it, and it asks them for the
    /// outcome. A transaction it has no record of is aborted (nobody can
    /// have pre-committed it).
    public struct ThreePhaseCoordinator: Hashable, Sendable {
        /// This coordinator's identity.
        public let id: PeerID
        /// Timing.
        public let settings: ThreePhaseSettings
        /// Ticks since this incarnation started.
        public private(set) var tick = 0
        private var transactions: [TransactionID: Entry] = [:]
        private var decided: [TransactionID: Decision] = [:]

        private struct Entry: Hashable, Sendable {
            enum Phase: Hashable, Sendable { case voting, preCommitting, recovering }
            var phase: Phase
            var participants: [PeerID]
            var replies: Set<PeerID> = []
            var deadlineTick: Int
        }

        /// Creates a coordinator, or recovers one from its durable log.
        public init(id: PeerID, settings: ThreePhaseSettings = .init(), log: [ThreePhaseCoordinatorRecord] = []) {
            self.id = id
            self.settings = settings
            for record in log {
                switch record {
                case .preCommitting(let transaction, let participants):
                    transactions[transaction] = Entry(phase: .recovering, participants: participants, deadlineTick: 0)
                case .decided(let transaction, let decision):
                    transactions[transaction] = nil
                    decided[transaction] = decision
                }
            }
        }

        /// The outcome this coordinator knows: nil while undecided, abort
        /// for a transaction it has never heard of (presumed abort).
        public func outcome(of transaction: TransactionID) -> Decision? {
            if let decision = decided[transaction] { return decision }
            return transactions[transaction] == nil ? .abort : nil
        }

        /// Starts a transaction by sending `canCommit` to every participant.
        ///
        /// - Throws: ``TransactionError`` for a bad participant list, a
        ///   reused identifier or too many transactions; nothing changes then.
        public mutating func begin(_ transaction: TransactionID, participants: [PeerID]) throws(TransactionError) -> Effects<ThreePhaseCoordinatorRecord, ThreePhaseMessage> {
            try Transactions.validate(participants: participants)
            guard transactions[transaction] == nil, decided[transaction] == nil else {
                throw .duplicateTransaction(transaction)
            }
            guard transactions.count < Transactions.activeTransactionsMax else {
                throw .tooManyActiveTransactions(limit: Transactions.activeTransactionsMax)
            }
            transactions[transaction] = Entry(phase: .voting, participants: participants,
                                              deadlineTick: tick + settings.voteTimeoutTicks)
            var effects = Effects<ThreePhaseCoordinatorRecord, ThreePhaseMessage>()
            for participant in participants {
                effects.messages.append(Envelope(to: participant, .canCommit(transaction, participants: participants)))
            }
            return effects
        }

        /// Handles a message from a participant.
        public mutating func onMessage(_ message: ThreePhaseMessage, from sender: PeerID) -> Effects<ThreePhaseCoordinatorRecord, ThreePhaseMessage> {
            switch message {
            case .vote(let transaction, .yes):
                return onYes(transaction, from: sender)
            case .vote(let transaction, .no):
                guard transactions[transaction]?.phase == .voting else { return Effects() }
                return decide(transaction, .abort)
            case .preCommitAcknowledge(let transaction):
                guard var entry = transactions[transaction], entry.phase == .preCommitting else { return Effects() }
                entry.replies.insert(sender)
                transactions[transaction] = entry
                return entry.replies.isSuperset(of: entry.participants) ? decide(transaction, .commit) : Effects()
            case .stateReply(let transaction, let state, _):
                // Only a recovering coordinator asks; it adopts any final outcome.
                guard transactions[transaction]?.phase == .recovering, let decision = state.decision else { return Effects() }
                return decide(transaction, decision, announce: false)
            case .stateRequest(let transaction):
                var effects = Effects<ThreePhaseCoordinatorRecord, ThreePhaseMessage>()
                if let decision = outcome(of: transaction) {
                    let state: ThreePhaseState = decision == .commit ? .committed : .aborted
                    effects.messagesAfterRecords.append(Envelope(to: sender, .stateReply(transaction, state, recovering: false)))
                }
                return effects
            case .canCommit, .preCommit, .doCommit, .abort:
                return Effects()
            }
        }

        /// Advances time by one tick: late votes abort, late acknowledgements
        /// commit, and a recovered coordinator asks participants for the outcome.
        public mutating func onTick() -> Effects<ThreePhaseCoordinatorRecord, ThreePhaseMessage> {
            tick += 1
            var effects = Effects<ThreePhaseCoordinatorRecord, ThreePhaseMessage>()
            for transaction in transactions.keys.sorted() {
                guard let entry = transactions[transaction], entry.deadlineTick <= tick else { continue }
                switch entry.phase {
                case .voting:
                    effects.append(decide(transaction, .abort))
                case .preCommitting:
                    effects.append(decide(transaction, .commit))
                case .recovering:
                    transactions[transaction]!.deadlineTick = tick + settings.inquiryTicks
                    for participant in entry.participants {
                        effects.messages.append(Envelope(to: participant, .stateRequest(transaction)))
                    }
                }
            }
            return effects
        }

        private mutating func onYes(_ transaction: TransactionID, from sender: PeerID) -> Effects<ThreePhaseCoordinatorRecord, ThreePhaseMessage> {
            var effects = Effects<ThreePhaseCoordinatorRecord, ThreePhaseMessage>()
            guard var entry = transactions[transaction] else {
                if decided[transaction] == nil || decided[transaction] == .abort {
                    effects.messages.append(Envelope(to: sender, .abort(transaction)))
                }
                return effects
            }
            guard entry.phase == .voting, entry.participants.contains(sender) else { return effects }
            entry.replies.insert(sender)
            guard entry.replies.count == entry.participants.count else {
                transactions[transaction] = entry
                return effects
            }
            transactions[transaction] = Entry(phase: .preCommitting, participants: entry.participants,
                                              deadlineTick: tick + settings.acknowledgeTimeoutTicks)
            effects.records.append(.preCommitting(transaction, participants: entry.participants))
            for participant in entry.participants {
                effects.messagesAfterRecords.append(Envelope(to: participant, .preCommit(transaction)))
            }
            return effects
        }

        private mutating func decide(_ transaction: TransactionID, _ decision: Decision, announce: Bool = true) -> Effects<ThreePhaseCoordinatorRecord, ThreePhaseMessage> {
            guard let entry = transactions.removeValue(forKey: transaction) else { return Effects() }
            decided[transaction] = decision
            var effects = Effects<ThreePhaseCoordinatorRecord, ThreePhaseMessage>()
            // An abort before any pre-commit needs no record (presumed abort),
            // but recording it keeps the coordinator's answers stable.
            effects.records.append(.decided(transaction, decision))
            if announce {
                for participant in entry.participants {
                    let message: ThreePhaseMessage = decision == .commit ? .doCommit(transaction) : .abort(transaction)
                    effects.messagesAfterRecords.append(Envelope(to: participant, message))
                }
            }
            effects.decisions.append(DecisionReport(transaction: transaction, decision: decision))
            return effects
        }
    }
}
