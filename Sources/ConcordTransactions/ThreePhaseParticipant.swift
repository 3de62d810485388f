extension Transactions {
    /// A record in a three-phase commit participant's durable log.
    public enum ThreePhaseParticipantRecord: Hashable, Sendable {
        /// Voted yes; forced before the vote leaves.
        case votedYes(TransactionID, coordinator: PeerID, participants: [PeerID])
        /// Pre-committed; forced before the acknowledgement leaves.
        case preCommitted(TransactionID)
        /// The outcome.
        case decided(TransactionID, Decision)
    }

    /// A participant of three-phase commit, with Skeen's termination
    /// protocol run among the participants when the coordinator is silent.
    ///
    /// Termination: a participant whose wait times out asks every other
    /// participant for its state, collects answers for
    /// ``ThreePhaseSettings/terminationWindowTicks``, and then
    /// - adopts any final outcome it heard of;
    /// - otherwise defers to the lowest-numbered undecided, non-recovering
    ///   participant that answered, if that is not itself (it waits again);
    /// - as leader, if anyone (itself included) is pre-committed, sends
    ///   `preCommit` to the others, waits one window for acknowledgements,
    ///   then commits and sends `doCommit`;
    /// - as leader, if everyone it heard is uncertain, aborts: nobody can have
    ///   committed, because a commit needs every vote and a pre-commit.
    ///
    /// A participant that crashed while undecided does not lead a
    /// termination until it has heard from every other participant: alone,
    /// its "uncertain" could hide a commit decided while it was down. It asks
    /// everyone, adopts any outcome it hears, and once every other
    /// participant has answered it takes part in terminations again.
    ///
    /// Known weakness: a network partition looks exactly like crashes. Each
    /// side terminates on its own, and a side holding a pre-committed
    /// participant commits while a side of uncertain participants aborts.
    public struct ThreePhaseParticipant: Hashable, Sendable {
        /// This participant's identity.
        public let id: PeerID
        /// Timing.
        public let settings: ThreePhaseSettings
        /// Ticks since this incarnation started.
        public private(set) var tick = 0
        private var entries: [TransactionID: Entry] = [:]
        /// Invariant: exactly the transactions whose state has no decision.
        private var undecided: Set<TransactionID> = []

        private struct Entry: Hashable, Sendable {
            var state: ThreePhaseState
            var coordinator: PeerID?
            var participants: [PeerID] = []
            var recovering = false
            var deadlineTick = 0
            var termination: Termination?
            /// While recovering: the participants that answered this incarnation.
            var heardFrom: Set<PeerID> = []
        }

        private enum Termination: Hashable, Sendable {
            case collecting(untilTick: Int, replies: [PeerID: Reply])
            case preCommitting(untilTick: Int)
        }

        private struct Reply: Hashable, Sendable {
            var state: ThreePhaseState
            var recovering: Bool
        }

        /// Creates a participant, or recovers one from its durable log.
        public init(id: PeerID, settings: ThreePhaseSettings = .init(), log: [ThreePhaseParticipantRecord] = []) {
            self.id = id
            self.settings = settings
            for record in log {
                switch record {
                case .votedYes(let transaction, let coordinator, let participants):
                    entries[transaction] = Entry(state: .uncertain, coordinator: coordinator, participants: participants,
                                                 recovering: true)
                    undecided.insert(transaction)
                case .preCommitted(let transaction):
                    entries[transaction, default: Entry(state: .preCommitted, recovering: true)].state = .preCommitted
                    undecided.insert(transaction)
                case .decided(let transaction, let decision):
                    entries[transaction, default: Entry(state: .aborted)].state = decision == .commit ? .committed : .aborted
                    entries[transaction]!.recovering = false
                    undecided.remove(transaction)
                }
            }
        }

        /// This participant's state for a transaction, nil if it never voted.
        public func state(of transaction: TransactionID) -> ThreePhaseState? {
            entries[transaction]?.state
        }

        /// Transactions voted on but not decided here.
        public var undecidedTransactions: [TransactionID] {
            undecided.sorted()
        }

        /// Handles a message.
        ///
        /// - Parameters:
        ///   - localVote: How this participant votes on a first `canCommit`.
        public mutating func onMessage(_ message: ThreePhaseMessage, from sender: PeerID, localVote: Vote = .yes) -> Effects<ThreePhaseParticipantRecord, ThreePhaseMessage> {
            switch message {
            case .canCommit(let transaction, let participants):
                return onCanCommit(transaction, coordinator: sender, participants: participants, localVote: localVote)
            case .preCommit(let transaction):
                return onPreCommit(transaction, from: sender)
            case .doCommit(let transaction):
                return decide(transaction, .commit)
            case .abort(let transaction):
                return decide(transaction, .abort)
            case .stateRequest(let transaction):
                return onStateRequest(transaction, from: sender)
            case .stateReply(let transaction, let state, let recovering):
                return onStateReply(transaction, state: state, recovering: recovering, from: sender)
            case .vote, .preCommitAcknowledge:
                return Effects()
            }
        }

        /// Advances time by one tick: starts or finishes terminations and
        /// lets recovering transactions ask for their outcome.
        public mutating func onTick() -> Effects<ThreePhaseParticipantRecord, ThreePhaseMessage> {
            tick += 1
            var effects = Effects<ThreePhaseParticipantRecord, ThreePhaseMessage>()
            for transaction in undecided.sorted() {
                guard let entry = entries[transaction], entry.state.decision == nil else { continue }
                switch entry.termination {
                case .collecting(let untilTick, let replies)? where untilTick <= tick:
                    effects.append(finishCollecting(transaction, replies: replies))
                case .preCommitting(let untilTick)? where untilTick <= tick:
                    effects.append(decide(transaction, .commit, announce: true))
                case .some:
                    break
                case nil where entry.deadlineTick <= tick:
                    effects.append(startTermination(transaction))
                case nil:
                    break
                }
            }
            return effects
        }

        private mutating func onCanCommit(_ transaction: TransactionID, coordinator: PeerID, participants: [PeerID], localVote: Vote) -> Effects<ThreePhaseParticipantRecord, ThreePhaseMessage> {
            var effects = Effects<ThreePhaseParticipantRecord, ThreePhaseMessage>()
            switch entries[transaction]?.state {
            case .uncertain?:
                effects.messagesAfterRecords.append(Envelope(to: coordinator, .vote(transaction, .yes)))
            case .aborted?:
                effects.messages.append(Envelope(to: coordinator, .vote(transaction, .no)))
            case .preCommitted?, .committed?:
                break
            case nil where localVote == .yes && participants.contains(id):
                entries[transaction] = Entry(state: .uncertain, coordinator: coordinator, participants: participants,
                                             deadlineTick: tick + settings.uncertainTimeoutTicks)
                undecided.insert(transaction)
                effects.records.append(.votedYes(transaction, coordinator: coordinator, participants: participants))
                effects.messagesAfterRecords.append(Envelope(to: coordinator, .vote(transaction, .yes)))
            case nil:
                entries[transaction] = Entry(state: .aborted, coordinator: coordinator, participants: participants)
                effects.records.append(.decided(transaction, .abort))
                effects.messages.append(Envelope(to: coordinator, .vote(transaction, .no)))
                effects.decisions.append(DecisionReport(transaction: transaction, decision: .abort))
            }
            return effects
        }

        private mutating func onPreCommit(_ transaction: TransactionID, from sender: PeerID) -> Effects<ThreePhaseParticipantRecord, ThreePhaseMessage> {
            var effects = Effects<ThreePhaseParticipantRecord, ThreePhaseMessage>()
            guard var entry = entries[transaction] else { return effects }
            switch entry.state {
            case .uncertain, .preCommitted:
                if entry.state == .uncertain {
                    effects.records.append(.preCommitted(transaction))
                }
                entry.state = .preCommitted
                entry.deadlineTick = tick + settings.preCommittedTimeoutTicks
                if case .collecting? = entry.termination { entry.termination = nil }
                entries[transaction] = entry
                effects.messagesAfterRecords.append(Envelope(to: sender, .preCommitAcknowledge(transaction)))
            case .committed, .aborted:
                effects.messagesAfterRecords.append(Envelope(to: sender, .stateReply(transaction, entry.state, recovering: false)))
            }
            return effects
        }

        private mutating func onStateRequest(_ transaction: TransactionID, from sender: PeerID) -> Effects<ThreePhaseParticipantRecord, ThreePhaseMessage> {
            var effects = Effects<ThreePhaseParticipantRecord, ThreePhaseMessage>()
            guard let entry = entries[transaction] else {
                // Never voted: abort unilaterally, durably, before answering.
                entries[transaction] = Entry(state: .aborted)
                effects.records.append(.decided(transaction, .abort))
                effects.messagesAfterRecords.append(Envelope(to: sender, .stateReply(transaction, .aborted, recovering: false)))
                effects.decisions.append(DecisionReport(transaction: transaction, decision: .abort))
                return effects
            }
            effects.messagesAfterRecords.append(Envelope(to: sender, .stateReply(transaction, entry.state, recovering: entry.recovering)))
            return effects
        }

        private mutating func onStateReply(_ transaction: TransactionID, state: ThreePhaseState, recovering: Bool, from sender: PeerID) -> Effects<ThreePhaseParticipantRecord, ThreePhaseMessage> {
            guard var entry = entries[transaction], entry.state.decision == nil else { return Effects() }
            if let decision = state.decision {
                return decide(transaction, decision, announce: false)
            }
            if entry.recovering, entry.participants.contains(sender) {
                entry.heardFrom.insert(sender)
                if entry.heardFrom.isSuperset(of: entry.participants.filter({ $0 != id })) {
                    // Everyone is reachable: its knowledge is as good as theirs now.
                    entry.recovering = false
                    entry.deadlineTick = tick
                }
                entries[transaction] = entry
                return Effects()
            }
            if case .collecting(let untilTick, var replies)? = entry.termination {
                replies[sender] = Reply(state: state, recovering: recovering)
                entry.termination = .collecting(untilTick: untilTick, replies: replies)
                entries[transaction] = entry
            }
            return Effects()
        }

        private mutating func startTermination(_ transaction: TransactionID) -> Effects<ThreePhaseParticipantRecord, ThreePhaseMessage> {
            var effects = Effects<ThreePhaseParticipantRecord, ThreePhaseMessage>()
            let entry = entries[transaction]!
            var askees = entry.participants.filter { $0 != id }
            if entry.recovering {
                // A recovering participant only asks until everyone has answered.
                entries[transaction]!.deadlineTick = tick + settings.inquiryTicks
                if let coordinator = entry.coordinator { askees.insert(coordinator, at: 0) }
            } else {
                entries[transaction]!.termination = .collecting(untilTick: tick + settings.terminationWindowTicks, replies: [:])
            }
            for peer in askees {
                effects.messages.append(Envelope(to: peer, .stateRequest(transaction)))
            }
            return effects
        }

        private mutating func finishCollecting(_ transaction: TransactionID, replies: [PeerID: Reply]) -> Effects<ThreePhaseParticipantRecord, ThreePhaseMessage> {
            var entry = entries[transaction]!
            entry.termination = nil
            let candidates = replies.filter { !$0.value.recovering }.map(\.key) + [id]
            guard candidates.min() == id else {
                // A lower-numbered participant is alive and will lead; wait for it.
                entry.deadlineTick = tick + timeout(for: entry.state)
                entries[transaction] = entry
                return Effects()
            }
            let anyPreCommitted = entry.state == .preCommitted || replies.values.contains { $0.state == .preCommitted }
            guard anyPreCommitted else {
                entries[transaction] = entry
                return decide(transaction, .abort, announce: true)
            }
            var effects = Effects<ThreePhaseParticipantRecord, ThreePhaseMessage>()
            if entry.state == .uncertain {
                effects.records.append(.preCommitted(transaction))
                entry.state = .preCommitted
            }
            entry.termination = .preCommitting(untilTick: tick + settings.terminationWindowTicks)
            entries[transaction] = entry
            for peer in entry.participants where peer != id {
                effects.messagesAfterRecords.append(Envelope(to: peer, .preCommit(transaction)))
            }
            return effects
        }

        private func timeout(for state: ThreePhaseState) -> Int {
            state == .preCommitted ? settings.preCommittedTimeoutTicks : settings.uncertainTimeoutTicks
        }

        private mutating func decide(_ transaction: TransactionID, _ decision: Decision, announce: Bool = false) -> Effects<ThreePhaseParticipantRecord, ThreePhaseMessage> {
            var effects = Effects<ThreePhaseParticipantRecord, ThreePhaseMessage>()
            let entry = entries[transaction] ?? Entry(state: .uncertain)
            // A final outcome never changes; a contradicting message is ignored
            // (and a checker comparing participants will see the split).
            guard entry.state.decision == nil else { return effects }
            var decidedEntry = entry
            decidedEntry.state = decision == .commit ? .committed : .aborted
            decidedEntry.termination = nil
            decidedEntry.recovering = false
            entries[transaction] = decidedEntry
            undecided.remove(transaction)
            effects.records.append(.decided(transaction, decision))
            effects.decisions.append(DecisionReport(transaction: transaction, decision: decision))
            if announce {
                let message: ThreePhaseMessage = decision == .commit ? .doCommit(transaction) : .abort(transaction)
                for peer in entry.participants where peer != id {
                    effects.messagesAfterRecords.append(Envelope(to: peer, message))
                }
            }
            return effects
        }
    }
}
