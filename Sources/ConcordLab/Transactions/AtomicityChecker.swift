import ConcordTransactions

/// Checks the safety property of atomic commitment: no transaction is
/// committed by one party and aborted by another, and no party decides a
/// transaction twice in different ways.
///
/// Feed it every decision a run made durable (the coordinator's and each
/// participant's), then read ``violations``.
public struct AtomicityChecker: Sendable {
    /// A party's durable decision.
    public struct Observation: Hashable, Sendable {
        /// Who decided.
        public var party: Int
        /// What was decided.
        public var transaction: Transactions.TransactionID
        /// The decision.
        public var decision: Transactions.Decision

        /// Creates an observation.
        public init(party: Int, transaction: Transactions.TransactionID, decision: Transactions.Decision) {
            self.party = party
            self.transaction = transaction
            self.decision = decision
        }
    }

    private var decisions: [Transactions.TransactionID: [Int: Transactions.Decision]] = [:]
    private var contradictions: [String] = []

    /// Creates an empty checker.
    public init() {}

    /// Adds one observation.
    public mutating func observe(_ observation: Observation) {
        let previous = decisions[observation.transaction, default: [:]][observation.party]
        if let previous, previous != observation.decision {
            contradictions.append("n\(observation.party) decided \(observation.transaction) both \(previous.rawValue) and \(observation.decision.rawValue)")
        }
        decisions[observation.transaction, default: [:]][observation.party] = previous ?? observation.decision
    }

    /// Every transaction decided somewhere, with its decisions by party.
    public var decided: [Transactions.TransactionID: [Int: Transactions.Decision]] { decisions }

    /// How many transactions were committed, and how many aborted, somewhere.
    public var counts: (committed: Int, aborted: Int) {
        var committed = 0, aborted = 0
        for byParty in decisions.values {
            if byParty.values.contains(.commit) { committed += 1 } else { aborted += 1 }
        }
        return (committed, aborted)
    }

    /// One line per violation; empty when atomicity held.
    public var violations: [String] {
        var lines = contradictions
        for transaction in decisions.keys.sorted() {
            let byParty = decisions[transaction]!
            let committed = byParty.filter { $0.value == .commit }.map(\.key).sorted()
            let aborted = byParty.filter { $0.value == .abort }.map(\.key).sorted()
            if !committed.isEmpty && !aborted.isEmpty {
                lines.append("\(transaction) committed at \(committed.map { "n\($0)" }.joined(separator: ",")) "
                             + "but aborted at \(aborted.map { "n\($0)" }.joined(separator: ","))")
            }
        }
        return lines
    }
}
