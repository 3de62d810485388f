extension Transactions {
    /// Identifies one distributed transaction (or one saga).
    ///
    /// Identifiers are chosen by the caller and must never be reused: under
    /// presumed abort a coordinator that has forgotten a transaction answers
    /// "abort" for it, so a reused identifier could meet a stale answer.
    public struct TransactionID: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// The raw number.
        public var rawValue: UInt64

        /// Creates an identifier from its raw number.
        public init(_ rawValue: UInt64) {
            self.rawValue = rawValue
        }

        public static func < (lhs: Self, rhs: Self) -> Bool {
            lhs.rawValue < rhs.rawValue
        }

        public var description: String { "t\(rawValue)" }
    }

    /// Identifies a coordinator or a participant. Equal to the simulator's
    /// node identifier so that adapters need no translation table.
    public typealias PeerID = Int

    /// The outcome of an atomic commitment protocol.
    public enum Decision: String, Hashable, Sendable {
        /// Every participant makes the transaction's effects permanent.
        case commit
        /// Every participant discards the transaction's effects.
        case abort
    }

    /// A participant's answer to "can you commit?".
    public enum Vote: String, Hashable, Sendable {
        /// The participant is prepared: it will commit if told to, even after a crash.
        case yes
        /// The participant refuses; the transaction must abort.
        case no
    }

    /// A local decision that a core has applied, reported for checkers and clients.
    public struct DecisionReport: Hashable, Sendable {
        /// The transaction decided.
        public var transaction: TransactionID
        /// What was decided.
        public var decision: Decision

        /// Creates a report.
        public init(transaction: TransactionID, decision: Decision) {
            self.transaction = transaction
            self.decision = decision
        }
    }
}
