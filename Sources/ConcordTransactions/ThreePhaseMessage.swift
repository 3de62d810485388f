extension Transactions {
    /// What a three-phase commit participant reports of one transaction when asked.
    public enum ThreePhaseState: String, Hashable, Sendable {
        /// Voted yes, not yet pre-committed.
        case uncertain
        /// Pre-committed: every participant voted yes.
        case preCommitted
        /// Committed.
        case committed
        /// Aborted.
        case aborted

        /// The decision this state stands for, if it is final.
        public var decision: Decision? {
            switch self {
            case .committed: .commit
            case .aborted: .abort
            case .uncertain, .preCommitted: nil
            }
        }
    }

    /// The messages of three-phase commit (Skeen, "Nonblocking Commit
    /// Protocols", 1981) with its termination protocol.
    public enum ThreePhaseMessage: Hashable, Sendable, CustomStringConvertible {
        /// Coordinator to participant: can you commit? Carries the participant list.
        case canCommit(TransactionID, participants: [PeerID])
        /// Participant to coordinator: the vote.
        case vote(TransactionID, Vote)
        /// Coordinator (or a termination leader) to participant: everyone voted yes.
        case preCommit(TransactionID)
        /// Participant to the sender of ``preCommit``: pre-committed.
        case preCommitAcknowledge(TransactionID)
        /// The decision to commit.
        case doCommit(TransactionID)
        /// The decision to abort.
        case abort(TransactionID)
        /// A termination leader, a recovering participant or a recovered
        /// coordinator asks for a participant's state.
        case stateRequest(TransactionID)
        /// The answer to ``stateRequest``. `recovering` marks a participant
        /// that crashed while undecided: it may not lead a termination.
        case stateReply(TransactionID, ThreePhaseState, recovering: Bool)

        public var description: String {
            switch self {
            case .canCommit(let id, let participants): "can-commit(\(id), \(participants))"
            case .vote(let id, let vote): "vote(\(id), \(vote.rawValue))"
            case .preCommit(let id): "pre-commit(\(id))"
            case .preCommitAcknowledge(let id): "pre-commit-ack(\(id))"
            case .doCommit(let id): "do-commit(\(id))"
            case .abort(let id): "abort(\(id))"
            case .stateRequest(let id): "state-request(\(id))"
            case .stateReply(let id, let state, let recovering):
                "state-reply(\(id), \(state.rawValue)\(recovering ? ", recovering" : ""))"
            }
        }
    }

    /// The timing of three-phase commit, in ticks.
    ///
    /// Three-phase commit is non-blocking only in a synchronous system: the
    /// timeouts must exceed the longest message delay plus the time the
    /// other side may legitimately take. ``uncertainTimeoutTicks`` must exceed
    /// ``voteTimeoutTicks`` plus a round trip, and ``preCommittedTimeoutTicks``
    /// must exceed ``acknowledgeTimeoutTicks`` plus a round trip. Under a
    /// network partition no timeout is long enough; see docs/transactions.md.
    public struct ThreePhaseSettings: Hashable, Sendable {
        /// Coordinator: how long to wait for every vote before aborting.
        public var voteTimeoutTicks: Int
        /// Coordinator: how long to wait for pre-commit acknowledgements before committing anyway.
        public var acknowledgeTimeoutTicks: Int
        /// Participant: how long to wait, having voted yes, for `preCommit` or a decision.
        public var uncertainTimeoutTicks: Int
        /// Participant: how long to wait, pre-committed, for `doCommit`.
        public var preCommittedTimeoutTicks: Int
        /// Termination: how long a leader collects states, and waits for
        /// pre-commit acknowledgements, before it decides.
        public var terminationWindowTicks: Int
        /// How often a recovering participant or coordinator asks for the outcome.
        public var inquiryTicks: Int

        /// Creates settings; checks the ordering the protocol relies on.
        public init(voteTimeoutTicks: Int = 20, acknowledgeTimeoutTicks: Int = 20, uncertainTimeoutTicks: Int = 40,
                    preCommittedTimeoutTicks: Int = 40, terminationWindowTicks: Int = 10, inquiryTicks: Int = 10) {
            precondition(min(voteTimeoutTicks, acknowledgeTimeoutTicks, terminationWindowTicks, inquiryTicks) >= 1,
                         "three-phase commit intervals must be at least one tick")
            precondition(uncertainTimeoutTicks > voteTimeoutTicks && preCommittedTimeoutTicks > acknowledgeTimeoutTicks,
                         "participant timeouts must outlast the coordinator's")
            self.voteTimeoutTicks = voteTimeoutTicks
            self.acknowledgeTimeoutTicks = acknowledgeTimeoutTicks
            self.uncertainTimeoutTicks = uncertainTimeoutTicks
            self.preCommittedTimeoutTicks = preCommittedTimeoutTicks
            self.terminationWindowTicks = terminationWindowTicks
            self.inquiryTicks = inquiryTicks
        }
    }
}
