/// A Lamport clock (Lamport, "Time, Clocks, and the Ordering of Events in a
/// Distributed System", CACM 1978).
///
/// The clock guarantees the clock condition: if event a happened before
/// event b, then `C(a) < C(b)`. The converse does not hold: two concurrent
/// events still get ordered timestamps, and which one comes first says
/// nothing about causality (see ``VectorClock`` for a clock that can tell).
public struct LamportClock: Hashable, Sendable, Codable {
    /// The timestamp of the last event of this process (0 before any event).
    public private(set) var time: UInt64

    /// Creates a clock whose last event had timestamp `time`.
    public init(time: UInt64 = 0) {
        self.time = time
    }

    /// Rule IR1: a local event advances the clock. Returns the event's timestamp.
    @discardableResult
    public mutating func tick() -> UInt64 {
        precondition(time < UInt64.max, "Lamport clock exhausted")
        time += 1
        return time
    }

    /// Sending a message is a local event; the returned timestamp travels
    /// with the message.
    public mutating func send() -> UInt64 {
        tick()
    }

    /// Rule IR2: on receipt of a message stamped `remote`, the clock moves
    /// past both its own time and the sender's. Returns the receive event's
    /// timestamp.
    @discardableResult
    public mutating func receive(_ remote: UInt64) -> UInt64 {
        precondition(remote < UInt64.max, "Lamport timestamp exhausted")
        time = max(time, remote)
        return tick()
    }
}

/// A Lamport timestamp made total by the replica that issued it: equal
/// times are ordered by replica identity. This is the arbitrary total order
/// Lamport describes for mutual exclusion.
public struct LamportTimestamp: Hashable, Comparable, Sendable, Codable {
    /// The Lamport time.
    public var time: UInt64
    /// The replica that issued the timestamp.
    public var replica: ReplicaID

    /// Creates a timestamp.
    public init(time: UInt64, replica: ReplicaID) {
        self.time = time
        self.replica = replica
    }

    public static func < (lhs: LamportTimestamp, rhs: LamportTimestamp) -> Bool {
        (lhs.time, lhs.replica) < (rhs.time, rhs.replica)
    }
}
