/// A coordinator's count of the votes of its own ballot in one slot: a
/// value is chosen once a quorum (fast or classic, as the slot's round is)
/// voted for it; in a fast round a collision is detected as soon as no
/// value can reach a fast quorum any more, even if every acceptor not yet
/// heard voted for it ("Fast Paxos" §3.3).
public struct FastPaxosTally: Sendable, Hashable {
    /// What the votes so far mean.
    public enum Outcome: Sendable, Hashable {
        /// Not decided yet.
        case pending
        /// A quorum voted for this value.
        case chosen([[UInt8]])
        /// A fast round in which no value can reach a fast quorum.
        case collision
    }

    /// True for a fast round.
    public let isFast: Bool
    /// The votes that decide (fast or classic quorum size).
    public let quorum: Int
    /// The number of acceptors.
    public let replicaCount: Int
    /// The votes heard, by acceptor.
    public private(set) var votes: [ReplicaID: [[UInt8]]] = [:]

    /// Creates an empty tally.
    public init(isFast: Bool, quorum: Int, replicaCount: Int) {
        self.isFast = isFast
        self.quorum = quorum
        self.replicaCount = replicaCount
    }

    /// Counts a vote (an acceptor votes once per round and slot: a repeat
    /// replaces nothing) and returns the outcome.
    @discardableResult
    public mutating func add(_ value: [[UInt8]], from acceptor: ReplicaID) -> Outcome {
        if votes[acceptor] == nil { votes[acceptor] = value }
        return outcome
    }

    /// The outcome of the votes so far.
    public var outcome: Outcome {
        var counts: [[[UInt8]]: Int] = [:]
        for value in votes.values { counts[value, default: 0] += 1 }
        // A quorum is more than half of the acceptors, so at most one value
        // reaches it.
        if let (value, _) = counts.first(where: { $0.value >= quorum }) {
            return .chosen(value)
        }
        let best = counts.values.max() ?? 0
        let unheard = replicaCount - votes.count
        if isFast && best + unheard < quorum { return .collision }
        return .pending
    }
}
