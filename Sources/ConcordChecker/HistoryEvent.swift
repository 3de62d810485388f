/// One event of a Jepsen-style history: a process invokes an operation, and
/// later at most one completion reports how it ended.
///
/// The order of events in a ``History`` is the real-time order in which they
/// happened; `time` is informative (it labels the report) and must not go
/// backwards.
public struct HistoryEvent: Sendable, Hashable {
    /// What an event reports.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The process started the operation.
        case invoke
        /// The operation took effect and its result is known.
        case ok
        /// The operation did not take effect.
        case fail
        /// The operation may or may not have taken effect. Such an operation
        /// never completes, and its process issues nothing more.
        case info
    }

    /// The operations of the key-value model.
    public enum Function: String, Sendable, Hashable, CaseIterable {
        /// Reads a key; completes with the value read (`nil` when absent).
        case get
        /// Writes `value` to a key.
        case put
        /// Removes a key.
        case delete
        /// Writes `value` to a key if it currently holds `expected`
        /// (`nil` meaning absent); completes `ok` only if it swapped.
        case cas
    }

    /// The client process (a session) that issued the operation.
    public var process: Int
    /// Whether this event invokes or completes an operation.
    public var kind: Kind
    /// The operation's function; a completion repeats its invocation's.
    public var function: Function
    /// The key the operation touches; a completion repeats its invocation's.
    public var key: String
    /// For `put` and `cas`, the value written; for a `get` that completes
    /// `ok`, the value read (`nil` when the key was absent).
    public var value: String?
    /// For `cas` only: the value the key must hold for the swap (`nil` meaning
    /// the key must be absent).
    public var expected: String?
    /// The time of the event, in any unit; non-decreasing in history order.
    public var time: Int64

    /// Creates an event.
    public init(
        process: Int, kind: Kind, function: Function, key: String,
        value: String? = nil, expected: String? = nil, time: Int64
    ) {
        self.process = process
        self.kind = kind
        self.function = function
        self.key = key
        self.value = value
        self.expected = expected
        self.time = time
    }
}
