/// A dot: the `counter`-th event of `replica`, a globally unique name for
/// one update (Preguiça et al., "Dotted Version Vectors", 2010; Almeida et
/// al., "Delta State Replicated Data Types", 2018).
public struct Dot: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The replica that made the update.
    public var replica: ReplicaID
    /// The update's position in that replica's sequence, from 1.
    public var counter: UInt64

    /// Creates a dot; `counter` starts at 1.
    public init(replica: ReplicaID, counter: UInt64) {
        precondition(counter > 0, "dot counters start at 1")
        self.replica = replica
        self.counter = counter
    }

    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        (lhs.replica, lhs.counter) < (rhs.replica, rhs.counter)
    }

    public var description: String { "(\(replica),\(counter))" }
}
