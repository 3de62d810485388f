/// Identifies a simulated process: a server or a client. Chosen by whoever
/// builds the simulator; any distinct integers will do.
public typealias NodeID = Int

/// Identifies one timer of a node. The node chooses the values; arming a timer
/// that is already armed replaces it.
public struct TimerID: Hashable, Sendable, CustomStringConvertible {
    /// The node's own number for this timer.
    public var rawValue: UInt64

    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public var description: String { "timer\(rawValue)" }
}

/// Names one `persist` request of a node. Tokens of one node increase with
/// every request, across crashes and restarts, so a later token always means
/// a later write.
public struct PersistToken: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The position of this request among all of the node's requests.
    public var rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "persist\(rawValue)" }
}
