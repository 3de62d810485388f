/// A hybrid logical timestamp (Kulkarni, Demirbas, Madappa, Avva, Leone,
/// "Logical Physical Clocks and Consistent Snapshots in Globally Distributed
/// Databases", 2014): `wallNanoseconds` is the largest physical time heard
/// of (`l` in the paper), `logical` counts events within it (`c`).
///
/// Timestamps order first by wall time, then by the logical counter. They
/// are totally ordered only together with the issuing replica, as the
/// last-writer-wins types of ConcordCRDT pair them.
public struct HybridTimestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The largest physical time, in nanoseconds, known when the event happened.
    public var wallNanoseconds: Int64
    /// The number of events at that wall time causally before this one.
    public var logical: UInt32

    /// Creates a timestamp.
    public init(wallNanoseconds: Int64, logical: UInt32 = 0) {
        self.wallNanoseconds = wallNanoseconds
        self.logical = logical
    }

    /// The earliest timestamp.
    public static let zero = HybridTimestamp(wallNanoseconds: 0, logical: 0)

    public static func < (lhs: HybridTimestamp, rhs: HybridTimestamp) -> Bool {
        (lhs.wallNanoseconds, lhs.logical) < (rhs.wallNanoseconds, rhs.logical)
    }

    public var description: String { "\(wallNanoseconds).\(logical)" }
}
