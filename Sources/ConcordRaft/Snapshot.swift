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
