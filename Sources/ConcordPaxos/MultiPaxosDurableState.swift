/// The small part of a Multi-Paxos replica's state kept beside its log:
/// the acceptor's promise, which must be durable before any answer that
/// depends on it leaves ("Paxos Made Simple" §2.5), and the commit index,
/// persisted so a restart need not relearn it.
public struct MultiPaxosHardState: Sendable, Hashable {
    /// The highest ballot promised.
    public var promised: Ballot
    /// The highest slot up to which every value is known chosen.
    public var commit: UInt64

    /// Creates a hard state; the default is that of a fresh replica.
    public init(promised: Ballot = .zero, commit: UInt64 = 0) {
        self.promised = promised
        self.commit = commit
    }
}

/// A snapshot of the application's state machine after applying every slot
/// up to `index`.
public struct MultiPaxosSnapshot: Sendable, Hashable {
    /// The last slot the snapshot covers.
    public var index: UInt64
    /// The application's serialized state; opaque to the core.
    public var data: [UInt8]

    /// Creates a snapshot.
    public init(index: UInt64, data: [UInt8]) {
        self.index = index
        self.data = data
    }
}

/// Everything a Multi-Paxos replica keeps durably: hard state, latest
/// snapshot and the slots after it, contiguous (vacant slots included). A
/// `MultiPaxosNode` restarts from exactly this.
public struct MultiPaxosDurableState: Sendable, Hashable {
    /// Promise and commit index.
    public var hardState: MultiPaxosHardState
    /// The latest snapshot (index 0 and no data for a fresh replica).
    public var snapshot: MultiPaxosSnapshot
    /// The slots after `snapshot.index`, contiguous and in order.
    public var entries: [MultiPaxosLogEntry]

    /// Creates a durable state; the default is that of a fresh replica.
    public init(
        hardState: MultiPaxosHardState = MultiPaxosHardState(), snapshot: MultiPaxosSnapshot = MultiPaxosSnapshot(index: 0, data: []),
        entries: [MultiPaxosLogEntry] = []
    ) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
    }

    /// The last slot held, or the snapshot's when the log is empty.
    public var lastIndex: UInt64 { entries.last?.slot ?? snapshot.index }
}

/// One write a `MultiPaxosNode` asks its driver to make durable (see
/// `MultiPaxosOutput`), applied in this order: the snapshot, then the
/// entries, then the hard state. When all of it (and every earlier request)
/// is durable the driver calls `MultiPaxosNode.onPersisted(upTo: sequence)`.
///
/// The shape is Raft's `PersistRequest`, so that a Raft log store can hold
/// it (docs/paxos.md): entries replace every stored slot from the first
/// one's on, and a request with a snapshot also carries every slot after
/// it, so a store that drops its whole log when it stores a snapshot loses
/// nothing an acceptor must remember.
public struct MultiPaxosPersistRequest: Sendable, Hashable {
    /// Increases by one with every request of a node since it started.
    public var sequence: UInt64
    /// A snapshot to store; slots up to its index are discarded.
    public var snapshot: MultiPaxosSnapshot?
    /// Slots to write, contiguous; they replace every stored slot at or
    /// after the first one's.
    public var entries: [MultiPaxosLogEntry]
    /// The hard state to store, when it changed.
    public var hardState: MultiPaxosHardState?

    /// Creates a persist request.
    public init(sequence: UInt64, snapshot: MultiPaxosSnapshot? = nil, entries: [MultiPaxosLogEntry] = [], hardState: MultiPaxosHardState? = nil) {
        self.sequence = sequence
        self.snapshot = snapshot
        self.entries = entries
        self.hardState = hardState
    }
}

/// Why a Multi-Paxos storage refused a request.
public enum MultiPaxosStorageError: Error, Sendable, Hashable {
    /// Written slots would leave a hole after the last stored slot, or are
    /// not contiguous.
    case entriesNotContiguous(lastStored: UInt64, firstWritten: UInt64)
}
