/// One entry of the replicated log (Raft §5.3): an index, the term of the
/// leader that created it, and an opaque payload.
public struct LogEntry: Sendable, Hashable {
    /// What the payload of an entry means.
    public enum Kind: UInt8, Sendable, Hashable {
        /// An application command (or an empty entry a new leader appends).
        case normal = 0
        /// An encoded `ConfigurationChange` (thesis §4.3).
        case configurationChange = 1
    }

    /// The position of the entry in the log; the first entry has index 1.
    public var index: UInt64
    /// The term of the leader that appended the entry.
    public var term: UInt64
    /// What `data` holds.
    public var kind: Kind
    /// The payload: an application command, or an encoded configuration change.
    public var data: [UInt8]

    /// Creates an entry.
    public init(index: UInt64, term: UInt64, kind: Kind = .normal, data: [UInt8] = []) {
        self.index = index
        self.term = term
        self.kind = kind
        self.data = data
    }

    /// The bytes the entry counts for in message and in-flight limits.
    public var payloadBytes: Int { data.count }
}
