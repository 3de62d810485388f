/// Everything a replica keeps durably: its hard state, its latest snapshot
/// and the log entries that follow the snapshot. A `RaftNode` restarts from
/// exactly this.
public struct RaftDurableState: Sendable, Hashable {
    /// Term, vote and commit index.
    public var hardState: HardState
    /// The latest snapshot; a fresh replica holds an empty one carrying its
    /// bootstrap configuration (see `bootstrap(_:)` and `joining`).
    public var snapshot: RaftSnapshot
    /// The entries after `snapshot.metadata.index`, contiguous and in order.
    public var entries: [LogEntry]

    /// Creates a durable state.
    public init(hardState: HardState, snapshot: RaftSnapshot, entries: [LogEntry]) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
    }

    /// The durable state of a founding replica of a brand-new group: an empty
    /// log after a snapshot at index 1, term 1, that records the initial
    /// membership and an empty state machine (`data` is empty). Every
    /// founding replica must bootstrap with the same membership. Because the
    /// group's history starts with a snapshot, a replica that joins later
    /// (`joining`) learns the configuration from the snapshot the leader
    /// sends it.
    public static func bootstrap(_ configuration: ConfigurationState) -> RaftDurableState {
        RaftDurableState(
            hardState: HardState(term: 1, vote: nil, commit: 1),
            snapshot: RaftSnapshot(
                metadata: SnapshotMetadata(index: 1, term: 1, configuration: configuration),
                data: []
            ),
            entries: []
        )
    }

    /// The durable state of a replica that will join an existing group: no
    /// membership and nothing in the log. It does nothing until the leader
    /// of the group adds it and sends it a snapshot.
    public static var joining: RaftDurableState {
        RaftDurableState(
            hardState: HardState(),
            snapshot: RaftSnapshot(
                metadata: SnapshotMetadata(index: 0, term: 0, configuration: ConfigurationState(voters: [])),
                data: []
            ),
            entries: []
        )
    }

    /// The index of the last entry, or of the snapshot when the log is empty.
    public var lastIndex: UInt64 { entries.last?.index ?? snapshot.metadata.index }
}

/// One write a `RaftNode` asks its driver to make durable (see `RaftOutput`).
///
/// The parts are applied in this order: the snapshot, then the entries, then
/// the hard state. When all of it (and every earlier request) is durable the
/// driver calls `RaftNode.onPersisted(upTo: sequence)`.
public struct PersistRequest: Sendable, Hashable {
    /// Increases by one with every request of a node since it started.
    public var sequence: UInt64
    /// A snapshot to store. Entries up to its index are discarded, and the
    /// whole log is discarded unless it holds the snapshot's last entry with
    /// the same term (Raft Figure 13, steps 6 and 7).
    public var snapshot: RaftSnapshot?
    /// Entries to write. They replace every stored entry at or after
    /// `entries.first.index` (a follower's log may be truncated, Raft §5.3).
    public var entries: [LogEntry]
    /// The hard state to store, when it changed.
    public var hardState: HardState?

    /// Creates a persist request.
    public init(sequence: UInt64, snapshot: RaftSnapshot? = nil, entries: [LogEntry] = [], hardState: HardState? = nil) {
        self.sequence = sequence
        self.snapshot = snapshot
        self.entries = entries
        self.hardState = hardState
    }
}

/// Why a storage refused or failed a request.
public enum RaftStorageError: Error, Sendable, Hashable {
    /// Appended entries would leave a hole after the last stored entry.
    case entriesNotContiguous(lastStored: UInt64, firstAppended: UInt64)
    /// The storage medium failed; the text says where and how.
    case ioFailure(String)
    /// Stored data failed a check (a checksum, a record's shape); the text
    /// names the file and offset.
    case corrupted(String)
}

/// The durable home of a replica's Raft state. A driver writes each
/// `PersistRequest` of the node's output to it and reads the whole state
/// back on restart.
///
/// Invariant: after any sequence of successful calls, `load()` returns a log
/// that is contiguous from the snapshot's index plus one.
public protocol RaftStorage {
    /// Everything durable, to restart a `RaftNode` from.
    func load() throws(RaftStorageError) -> RaftDurableState
    /// Stores a snapshot with the semantics of `PersistRequest.snapshot`. A
    /// snapshot not newer than the stored one is ignored.
    mutating func saveSnapshot(_ snapshot: RaftSnapshot) throws(RaftStorageError)
    /// Stores entries with the semantics of `PersistRequest.entries`.
    /// Entries at or below the snapshot's index are skipped.
    mutating func append(_ entries: [LogEntry]) throws(RaftStorageError)
    /// Stores the hard state.
    mutating func saveHardState(_ hardState: HardState) throws(RaftStorageError)
    /// Makes everything stored so far durable (an fsync for a file storage).
    mutating func sync() throws(RaftStorageError)
}

extension RaftStorage {
    /// Applies a persist request in its documented order and syncs.
    public mutating func persist(_ request: PersistRequest) throws(RaftStorageError) {
        if let snapshot = request.snapshot {
            try saveSnapshot(snapshot)
        }
        if !request.entries.isEmpty {
            try append(request.entries)
        }
        if let hardState = request.hardState {
            try saveHardState(hardState)
        }
        try sync()
    }
}
