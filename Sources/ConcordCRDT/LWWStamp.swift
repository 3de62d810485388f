import ConcordFoundation
import ConcordClocks

/// The version of a last-writer-wins write: a hybrid logical timestamp, with
/// the writing replica breaking ties so that the order is total.
///
/// Invariant: a stamp identifies one write. Two writes never share a stamp
/// because a replica's hybrid logical clock never issues the same timestamp
/// twice.
public struct LWWStamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// When the write happened, on the writer's hybrid logical clock.
    public var timestamp: HybridTimestamp
    /// Who wrote.
    public var replica: ReplicaID

    /// Creates a stamp.
    public init(timestamp: HybridTimestamp, replica: ReplicaID) {
        self.timestamp = timestamp
        self.replica = replica
    }

    public static func < (lhs: LWWStamp, rhs: LWWStamp) -> Bool {
        (lhs.timestamp, lhs.replica) < (rhs.timestamp, rhs.replica)
    }

    public var description: String { "\(timestamp)@\(replica)" }
}

extension LWWStamp: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        timestamp.encode(to: &writer)
        replica.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init(timestamp: try HybridTimestamp(from: &reader), replica: try ReplicaID(from: &reader))
    }
}
