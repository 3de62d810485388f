/// The identity of a replica, process or node that owns a component of a
/// vector clock, a dot or a counter entry.
///
/// Identities are plain integers so that clocks and CRDTs encode compactly
/// (a varint) and order deterministically (ties between equal timestamps are
/// broken by the larger identity).
public struct ReplicaID: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    ExpressibleByIntegerLiteral, CustomStringConvertible
{
    /// The identity as an integer.
    public var rawValue: UInt64

    /// Creates the identity with this integer value.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Creates the identity with this integer value.
    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public init(integerLiteral value: UInt64) {
        self.rawValue = value
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(UInt64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public static func < (lhs: ReplicaID, rhs: ReplicaID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { "r\(rawValue)" }
}
