import ConcordFoundation

/// The identity of a member of the ring: one node of the store.
///
/// The server takes it from the Raft group's member ids; the simulator
/// numbers its nodes. Distinct members must have distinct ids, and ``Ring``
/// refuses the rare pairs whose actor identities could collide (see
/// ``Actor``).
public struct MemberID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    /// The id as an integer.
    public var rawValue: UInt64

    /// The member with this integer id.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// The member with this integer id.
    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public init(integerLiteral value: UInt64) {
        rawValue = value
    }

    public static func < (lhs: MemberID, rhs: MemberID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { "n\(rawValue)" }
}

extension MemberID: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { writer.writeVarint(rawValue) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) { rawValue = try reader.readVarint() }
}
