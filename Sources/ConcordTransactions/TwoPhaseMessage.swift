extension Transactions {
    /// The messages of two-phase commit with cooperative termination.
    public enum TwoPhaseMessage: Hashable, Sendable, CustomStringConvertible {
        /// Coordinator to participant: prepare, and vote. Carries the full
        /// participant list so an uncertain participant knows whom to ask.
        case prepare(TransactionID, participants: [PeerID])
        /// Participant to coordinator: the participant's vote.
        case vote(TransactionID, Vote)
        /// Coordinator (or a peer that knows) to participant: the outcome.
        case decision(TransactionID, Decision)
        /// Participant to coordinator: the commit decision is durable here.
        case acknowledge(TransactionID)
        /// An uncertain participant asks the coordinator or a peer for the outcome.
        case decisionRequest(TransactionID)
        /// The answer to a ``decisionRequest``: the outcome, or nil when the
        /// sender is itself uncertain.
        case decisionReply(TransactionID, Decision?)

        /// The transaction the message is about.
        public var transaction: TransactionID {
            switch self {
            case .prepare(let id, _), .vote(let id, _), .decision(let id, _), .acknowledge(let id),
                .decisionRequest(let id), .decisionReply(let id, _):
                id
            }
        }

        public var description: String {
            switch self {
            case .prepare(let id, let participants): "prepare(\(id), \(participants))"
            case .vote(let id, let vote): "vote(\(id), \(vote.rawValue))"
            case .decision(let id, let decision): "decision(\(id), \(decision.rawValue))"
            case .acknowledge(let id): "ack(\(id))"
            case .decisionRequest(let id): "decision-request(\(id))"
            case .decisionReply(let id, let decision): "decision-reply(\(id), \(decision?.rawValue ?? "uncertain"))"
            }
        }
    }
}
