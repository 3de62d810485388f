/// What a snapshot covers: the last log entry it replaces and the
/// configuration in force at that entry (Raft §7, Figure 12).
public struct SnapshotMetadata: Sendable, Hashable {
    /// The index of the last entry the snapshot replaces.
    public var index: UInt64
    /// The term of that entry.
    public var term: UInt64
    /// The configuration as of `index`.
    public var configuration: ConfigurationState

    /// Creates snapshot metadata.
    public init(index: UInt64, term: UInt64, configuration: ConfigurationState) {
        self.index = index
        self.term = term
        self.configuration = configuration
    }
}

/// A snapshot of the application's state machine at `metadata.index`.
public struct RaftSnapshot: Sendable, Hashable {
    /// What the snapshot covers.
    public var metadata: SnapshotMetadata
    /// The application's serialized state; opaque to Raft.
    public var data: [UInt8]

    /// Creates a snapshot.
    public init(metadata: SnapshotMetadata, data: [UInt8]) {
        self.metadata = metadata
        self.data = data
    }
}

/// The driver's snapshot files, as a node sees them: where a leader reads
/// the chunks of its latest durable snapshot, and where a follower puts the
/// chunks of a snapshot it is receiving. With them, a node holds a
/// snapshot's bytes only until they are durable (the application's, between
/// `compact(upTo:snapshotData:)` and the persist that stores them; a
/// received one, between its last chunk and its persist); without them, it
/// holds its latest snapshot's bytes in memory.
///
/// Every call is synchronous and answers from durable storage (or, in the
/// simulator, from its image of it); the node never learns where the bytes
/// live.
public protocol SnapshotFiles: Sendable {
    /// `count` bytes of the application data of the durable snapshot that
    /// `metadata` describes, from `offset`; nil when that snapshot is no
    /// longer stored (a newer one replaced it) or cannot be read. The node
    /// asks only for ranges inside the snapshot.
    func readSnapshot(_ metadata: SnapshotMetadata, offset: Int, count: Int) -> [UInt8]?

    /// Stores a chunk of the snapshot `metadata` describes that this
    /// replica receives, at `offset`, durably. A chunk at offset 0 starts
    /// the snapshot over (whatever was received before is discarded); any
    /// other chunk follows the last one stored. Returns false when it could
    /// not be stored (the leader resends it later).
    func writeIncomingSnapshot(_ metadata: SnapshotMetadata, offset: Int, _ bytes: [UInt8]) -> Bool

    /// The whole snapshot received so far (every chunk stored since the
    /// last one at offset 0), read back to be installed; nil when it cannot
    /// be read. The node asks once, after the last chunk, and persists the
    /// snapshot as its latest one next (unless its log already holds the
    /// snapshot's last entry): the files may keep what they received as
    /// that snapshot's file instead of writing the bytes again, and
    /// discard it once another snapshot is persisted.
    func readIncomingSnapshot(_ metadata: SnapshotMetadata) -> [UInt8]?
}

/// The latest snapshot as a node holds it: what it covers, its size, and
/// its bytes only while the node must serve them itself (not yet durable,
/// or no `SnapshotFiles` to read them from).
struct LatestSnapshot: Sendable {
    var metadata: SnapshotMetadata
    /// The length of the application data in bytes.
    var size: Int
    /// The application data, when the node holds it.
    var data: [UInt8]?
}

/// A snapshot a follower is receiving in chunks.
struct IncomingSnapshot: Sendable {
    var metadata: SnapshotMetadata
    /// The bytes received so far, from offset 0 on.
    var received: Int
    /// Those bytes, when the node gathers them itself (no `SnapshotFiles`).
    var data: [UInt8]?
}
