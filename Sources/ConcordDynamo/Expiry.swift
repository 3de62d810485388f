import ConcordFoundation
import ConcordClocks
import ConcordCRDT

/// A key's time to live: a deadline in milliseconds of the Unix epoch, or
/// none, kept beside the key's value as a last-writer-wins register
/// (Redis's `EXPIRE`, `PERSIST`, `SET … EX`).
///
/// Concurrency: every change of the deadline (setting it, clearing it) is
/// a write stamped with the coordinator's hybrid logical clock; copies
/// merge by keeping the write with the greatest stamp (ties broken by
/// actor), so a concurrent `EXPIRE` and `PERSIST` resolve the same way on
/// every replica, whatever order they arrive in. A register never written
/// means no deadline.
///
/// Invariant: a key is *expired* at time `now` (milliseconds of the Unix
/// epoch) when its deadline is at or before `now`. Reads treat an expired
/// key as absent; the coordinator's clock decides.
public struct Expiry: Hashable, Sendable {
    /// The winning change.
    public private(set) var register: LWWRegister<Int64?>

    /// The deadline a deleted counter carries: passed at every time.
    public static let deletedDeadline = Int64.min

    /// No deadline, never set.
    public init() {
        register = LWWRegister()
    }

    /// An expiry holding `register`.
    public init(register: LWWRegister<Int64?>) {
        self.register = register
    }

    /// The deadline, in milliseconds of the Unix epoch; nil: none.
    public var deadline: Int64? { register.value ?? nil }

    /// Whether any change was ever written.
    public var isWritten: Bool { register.winner != nil }

    /// Whether the key is expired at `now` (milliseconds of the Unix epoch).
    public func hasExpired(at now: Int64) -> Bool {
        guard let deadline else { return false }
        return deadline <= now
    }

    /// Milliseconds left at `now` (nil: no deadline; 0 once expired).
    public func remaining(at now: Int64) -> Int64? {
        guard let deadline else { return nil }
        let (left, overflow) = deadline.subtractingReportingOverflow(now)
        return overflow ? (deadline > now ? Int64.max : 0) : max(0, left)
    }

    /// Sets the deadline (nil: clears it) as `actor` at `timestamp`.
    public mutating func write(_ deadline: Int64?, timestamp: HybridTimestamp, actor: ReplicaID) {
        register.assign(deadline, timestamp: timestamp, at: actor)
    }

    /// Joins another copy's expiry: the greater stamp wins.
    public mutating func merge(_ other: Expiry) {
        register.merge(other.register)
    }
}

extension Expiry: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        register.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init(register: try LWWRegister<Int64?>(from: &reader))
    }
}

/// How a write changes its key's expiry (``ClientRequest/expiry``).
public enum ExpiryChange: Hashable, Sendable, CustomStringConvertible {
    /// Leaves the deadline as it is (Redis's INCR, SADD, HSET, `SET … KEEPTTL`).
    case keep
    /// Clears the deadline (Redis's plain `SET`, `PERSIST`).
    case clear
    /// Sets the deadline to this instant, in milliseconds of the Unix epoch
    /// (`EXAT`, `PXAT`, `EXPIREAT`).
    case at(Int64)
    /// Sets the deadline this many milliseconds after the coordinator's
    /// time (`EX`, `PX`, `EXPIRE`); the sum saturates.
    case after(Int64)

    /// The deadline this change sets at `now`, or nil when it keeps or
    /// clears.
    public func deadline(at now: Int64) -> Int64? {
        switch self {
        case .keep, .clear: nil
        case .at(let instant): instant
        case .after(let milliseconds):
            now.addingReportingOverflow(milliseconds).overflow
                ? (milliseconds > 0 ? Int64.max : Int64.min) : now + milliseconds
        }
    }

    public var description: String {
        switch self {
        case .keep: "keep"
        case .clear: "persist"
        case .at(let instant): "at \(instant)"
        case .after(let milliseconds): "after \(milliseconds)ms"
        }
    }
}

/// The condition of an ``ClientOperation/expire(_:condition:)`` (Redis 7's
/// `EXPIRE` options). A key without a deadline counts as one with an
/// infinite deadline, as in Redis.
public enum ExpiryCondition: UInt8, Hashable, Sendable {
    /// Always (for `PERSIST`: only when a deadline is set).
    case always = 0
    /// `NX`: only when the key has no deadline.
    case ifNone = 1
    /// `XX`: only when the key has a deadline.
    case ifSet = 2
    /// `GT`: only when the new deadline is later than the current one.
    case ifLater = 3
    /// `LT`: only when the new deadline is earlier than the current one.
    case ifEarlier = 4
    /// `XX LT`: only when the key has a deadline and the new one is earlier.
    /// (`XX GT` is `GT`: a key without a deadline never passes it.)
    case ifSetAndEarlier = 5

    /// Whether a change from `current` to `new` (nil: none) passes.
    public func allows(from current: Int64?, to new: Int64?) -> Bool {
        switch self {
        case .always: true
        case .ifNone: current == nil
        case .ifSet: current != nil
        case .ifLater:
            if let current, let new { new > current } else { false }
        case .ifEarlier:
            if let new { current.map { new < $0 } ?? true } else { false }
        case .ifSetAndEarlier:
            if let current, let new { new < current } else { false }
        }
    }
}
