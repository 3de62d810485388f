extension Transactions {
    /// A request a transaction core refused; the core is left unchanged.
    public enum TransactionError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The transaction identifier is already in use at this coordinator.
        case duplicateTransaction(TransactionID)
        /// A transaction needs at least one participant.
        case noParticipants
        /// The same participant was listed twice.
        case duplicateParticipant(PeerID)
        /// More participants than ``participantsMax`` were listed.
        case tooManyParticipants(count: Int, limit: Int)
        /// The coordinator already tracks ``activeTransactionsMax`` transactions.
        case tooManyActiveTransactions(limit: Int)

        public var description: String {
            switch self {
            case .duplicateTransaction(let id): "transaction \(id) is already in use"
            case .noParticipants: "a transaction needs at least one participant"
            case .duplicateParticipant(let peer): "participant \(peer) is listed twice"
            case .tooManyParticipants(let count, let limit): "\(count) participants exceed the limit of \(limit)"
            case .tooManyActiveTransactions(let limit): "the coordinator already runs the maximum of \(limit) transactions"
            }
        }
    }

    /// The most participants one transaction may have.
    public static let participantsMax = 64
    /// The most transactions one coordinator runs at once.
    public static let activeTransactionsMax = 4096

    /// Validates a participant list for a new transaction.
    static func validate(participants: [PeerID]) throws(TransactionError) {
        guard !participants.isEmpty else { throw .noParticipants }
        guard participants.count <= participantsMax else {
            throw .tooManyParticipants(count: participants.count, limit: participantsMax)
        }
        var seen = Set<PeerID>()
        for peer in participants where !seen.insert(peer).inserted {
            throw .duplicateParticipant(peer)
        }
    }
}
