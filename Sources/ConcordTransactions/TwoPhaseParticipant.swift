extension Transactions {
    /// A record in a two-phase commit participant's durable log.
    public enum TwoPhaseParticipantRecord: Hashable, Sendable {
        /// The participant voted yes; it must commit if told to, even after a crash.
        case prepared(TransactionID, coordinator: PeerID, participants: [PeerID])
        /// The transaction committed here.
        case committed(TransactionID)
        /// The transaction aborted here.
        case aborted(TransactionID)
    }

    /// A participant's knowledge of one transaction.
    public enum TwoPhaseParticipantState: Hashable, Sendable {
        /// Voted yes; holds its locks and waits for the outcome.
        case uncertain
        /// Decided.
        case decided(Decision)
    }

    /// A participant (resource manager) of two-phase commit with presumed
    /// abort and cooperative termination.
    ///
    /// On `prepare` it votes. A yes vote is logged first and travels in
    /// ``Effects/messagesAfterRecords``, so a participant never promises what
    /// a crash could make it forget. A no vote aborts at once. While
    /// uncertain it holds its locks and, every ``TwoPhaseSettings/inquiryTicks``,
    /// asks the coordinator and every other participant for the outcome.
    ///
    /// Asked by a peer about a transaction it has never voted on, it aborts
    /// that transaction unilaterally (logging the abort before it answers),
    /// which is safe because its missing yes vote forbids a commit.
    public struct TwoPhaseParticipant: Hashable, Sendable {
        /// This participant's identity.
        public let id: PeerID
        /// Timing.
        public let settings: TwoPhaseSettings
        /// Ticks since this incarnation started.
        public private(set) var tick = 0
        private var known: [TransactionID: Knowledge] = [:]
        /// Invariant: exactly the transactions whose state is `uncertain`.
        private var uncertain: Set<TransactionID> = []

        private struct Knowledge: Hashable, Sendable {
            var state: TwoPhaseParticipantState
            var coordinator: PeerID?
            var participants: [PeerID] = []
            var inquiryTick = 0
        }

        /// Creates a participant, or recovers one from its durable log.
        ///
        /// - Parameters:
        ///   - id: The participant's identity.
        ///   - settings: Timing.
        ///   - log: Every record made durable before a crash, in order.
        public init(id: PeerID, settings: TwoPhaseSettings = .init(), log: [TwoPhaseParticipantRecord] = []) {
            self.id = id
            self.settings = settings
            for record in log {
                switch record {
                case .prepared(let transaction, let coordinator, let participants):
                    // Uncertain again: ask at the first tick.
                    known[transaction] = Knowledge(state: .uncertain, coordinator: coordinator, participants: participants)
                    uncertain.insert(transaction)
                case .committed(let transaction):
                    known[transaction, default: Knowledge(state: .decided(.commit))].state = .decided(.commit)
                    uncertain.remove(transaction)
                case .aborted(let transaction):
                    known[transaction, default: Knowledge(state: .decided(.abort))].state = .decided(.abort)
                    uncertain.remove(transaction)
                }
            }
        }

        /// What this participant knows of a transaction, nil if nothing.
        public func state(of transaction: TransactionID) -> TwoPhaseParticipantState? {
            known[transaction]?.state
        }

        /// Transactions this participant voted yes on and has no outcome for:
        /// it holds their locks.
        public var uncertainTransactions: [TransactionID] {
            uncertain.sorted()
        }

        /// Handles a message from the coordinator or a peer.
        ///
        /// - Parameters:
        ///   - message: The message.
        ///   - sender: Who sent it.
        ///   - localVote: How this participant votes if the message is a
        ///     first `prepare` (its local work succeeded or not); ignored otherwise.
        public mutating func onMessage(_ message: TwoPhaseMessage, from sender: PeerID, localVote: Vote = .yes) -> Effects<TwoPhaseParticipantRecord, TwoPhaseMessage> {
            switch message {
            case .prepare(let transaction, let participants):
                onPrepare(transaction, coordinator: sender, participants: participants, localVote: localVote)
            case .decision(let transaction, let decision):
                learn(decision, for: transaction, from: sender)
            case .decisionReply(let transaction, let decision?):
                learn(decision, for: transaction, from: sender)
            case .decisionRequest(let transaction):
                onDecisionRequest(transaction, from: sender)
            case .decisionReply(_, nil), .vote, .acknowledge:
                Effects()
            }
        }

        /// Advances time by one tick: uncertain transactions whose inquiry is
        /// due ask the coordinator and every other participant.
        public mutating func onTick() -> Effects<TwoPhaseParticipantRecord, TwoPhaseMessage> {
            tick += 1
            var effects = Effects<TwoPhaseParticipantRecord, TwoPhaseMessage>()
            for transaction in uncertain.sorted() {
                guard let knowledge = known[transaction], knowledge.state == .uncertain,
                      knowledge.inquiryTick <= tick else { continue }
                known[transaction]!.inquiryTick = tick + settings.inquiryTicks
                var askees = knowledge.participants.filter { $0 != id }
                if let coordinator = knowledge.coordinator { askees.insert(coordinator, at: 0) }
                for peer in askees {
                    effects.messages.append(Envelope(to: peer, .decisionRequest(transaction)))
                }
            }
            return effects
        }

        private mutating func onPrepare(_ transaction: TransactionID, coordinator: PeerID, participants: [PeerID], localVote: Vote) -> Effects<TwoPhaseParticipantRecord, TwoPhaseMessage> {
            var effects = Effects<TwoPhaseParticipantRecord, TwoPhaseMessage>()
            switch known[transaction]?.state {
            case .uncertain?:
                // A repeated prepare: the vote may have been lost. The yes
                // record was asked for already, so it is durable before this resend
                // leaves (records are synced in order).
                effects.messagesAfterRecords.append(Envelope(to: coordinator, .vote(transaction, .yes)))
            case .decided(.abort)?:
                effects.messages.append(Envelope(to: coordinator, .vote(transaction, .no)))
            case .decided(.commit)?:
                // Already committed: the coordinator missed the acknowledgement.
                effects.messagesAfterRecords.append(Envelope(to: coordinator, .acknowledge(transaction)))
            case nil where localVote == .yes && participants.contains(id):
                known[transaction] = Knowledge(state: .uncertain, coordinator: coordinator, participants: participants,
                                               inquiryTick: tick + settings.inquiryTicks)
                uncertain.insert(transaction)
                effects.records.append(.prepared(transaction, coordinator: coordinator, participants: participants))
                effects.messagesAfterRecords.append(Envelope(to: coordinator, .vote(transaction, .yes)))
            case nil:
                // A no vote aborts here at once. Under presumed abort the
                // record need not be forced, but it keeps a later peer
                // inquiry from being answered differently.
                known[transaction] = Knowledge(state: .decided(.abort), coordinator: coordinator, participants: participants)
                effects.records.append(.aborted(transaction))
                effects.messages.append(Envelope(to: coordinator, .vote(transaction, .no)))
                effects.decisions.append(DecisionReport(transaction: transaction, decision: .abort))
            }
            return effects
        }

        private mutating func learn(_ decision: Decision, for transaction: TransactionID, from sender: PeerID) -> Effects<TwoPhaseParticipantRecord, TwoPhaseMessage> {
            var effects = Effects<TwoPhaseParticipantRecord, TwoPhaseMessage>()
            switch known[transaction]?.state {
            case .uncertain?:
                known[transaction]!.state = .decided(decision)
                uncertain.remove(transaction)
                effects.records.append(decision == .commit ? .committed(transaction) : .aborted(transaction))
                effects.decisions.append(DecisionReport(transaction: transaction, decision: decision))
                if decision == .commit, let coordinator = known[transaction]!.coordinator {
                    effects.messagesAfterRecords.append(Envelope(to: coordinator, .acknowledge(transaction)))
                }
            case .decided(.commit)? where decision == .commit:
                // A resent decision: the acknowledgement was lost. Peers
                // ignore acknowledgements, so answering the sender is safe.
                effects.messagesAfterRecords.append(Envelope(to: sender, .acknowledge(transaction)))
            case .decided?:
                // Decisions never change. A contradicting one can only come
                // from a broken peer; keeping the first makes it visible to a checker.
                break
            case nil:
                // No yes vote was ever made durable here. An abort needs no
                // action; a commit cannot happen without this vote, so it is
                // recorded as told rather than contradicted.
                known[transaction] = Knowledge(state: .decided(decision))
                effects.records.append(decision == .commit ? .committed(transaction) : .aborted(transaction))
                effects.decisions.append(DecisionReport(transaction: transaction, decision: decision))
                if decision == .commit {
                    effects.messagesAfterRecords.append(Envelope(to: sender, .acknowledge(transaction)))
                }
            }
            return effects
        }

        private mutating func onDecisionRequest(_ transaction: TransactionID, from sender: PeerID) -> Effects<TwoPhaseParticipantRecord, TwoPhaseMessage> {
            var effects = Effects<TwoPhaseParticipantRecord, TwoPhaseMessage>()
            switch known[transaction]?.state {
            case .decided(let decision)?:
                effects.messagesAfterRecords.append(Envelope(to: sender, .decisionReply(transaction, decision)))
            case .uncertain?:
                effects.messages.append(Envelope(to: sender, .decisionReply(transaction, nil)))
            case nil:
                // Never voted: abort unilaterally, and make the abort durable
                // before saying so, or a restart could vote yes afterwards.
                known[transaction] = Knowledge(state: .decided(.abort))
                effects.records.append(.aborted(transaction))
                effects.messagesAfterRecords.append(Envelope(to: sender, .decisionReply(transaction, .abort)))
                effects.decisions.append(DecisionReport(transaction: transaction, decision: .abort))
            }
            return effects
        }
    }
}
