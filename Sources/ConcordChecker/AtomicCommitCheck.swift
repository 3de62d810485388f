/// Checks the safety property of atomic commitment (2PC, 3PC): no
/// transaction is committed by one party and aborted by another, and no
/// party decides a transaction twice in different ways.
///
/// Feed it every decision a run made durable (the coordinator's and each
/// participant's), then read ``violations``. It knows nothing of a
/// protocol: transactions are numbers and decisions commit or abort.
public struct AtomicCommitCheck: Sendable {
    /// What a party decided.
    public enum Decision: String, Hashable, Sendable {
        case commit
        case abort
    }

    /// A party's durable decision.
    public struct Observation: Hashable, Sendable {
        /// Who decided.
        public var party: Int
        /// What was decided (shown as `t<number>`).
        public var transaction: UInt64
        /// The decision.
        public var decision: Decision

        /// Creates an observation.
        public init(party: Int, transaction: UInt64, decision: Decision) {
            self.party = party
            self.transaction = transaction
            self.decision = decision
        }
    }

    private var decisions: [UInt64: [Int: Decision]] = [:]
    private var contradictions: [String] = []

    /// Creates an empty check.
    public init() {}

    /// Adds one observation.
    public mutating func observe(_ observation: Observation) {
        let previous = decisions[observation.transaction, default: [:]][observation.party]
        if let previous, previous != observation.decision {
            contradictions.append(
                "n\(observation.party) decided t\(observation.transaction) both \(previous.rawValue) and \(observation.decision.rawValue)")
        }
        decisions[observation.transaction, default: [:]][observation.party] = previous ?? observation.decision
    }

    /// Every transaction decided somewhere, with its decisions by party.
    public var decided: [UInt64: [Int: Decision]] { decisions }

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
                lines.append(
                    "t\(transaction) committed at \(committed.map { "n\($0)" }.joined(separator: ",")) "
                        + "but aborted at \(aborted.map { "n\($0)" }.joined(separator: ","))")
            }
        }
        return lines
    }
}
