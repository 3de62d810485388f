/// One key's state at one revision, as etcd's `mvccpb.KeyValue` carries it.
///
/// Invariant: a key that exists has `version >= 1`, `createRevision >= 1` and
/// `modRevision >= createRevision`.
public struct KeyValue: Sendable, Hashable {
    /// The key's bytes (never empty).
    public var key: [UInt8]
    /// The revision of the put that created the key's current generation
    /// (the first put after the key was absent).
    public var createRevision: Int64
    /// The revision of the last put to the key.
    public var modRevision: Int64
    /// The number of puts since the key was created: 1 after the creating
    /// put; a delete resets it.
    public var version: Int64
    /// The value's bytes (empty in a keys-only range).
    public var value: [UInt8]
    /// The lease the key is attached to, or 0 for none.
    public var lease: Int64

    /// Creates a key-value pair.
    public init(key: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64, value: [UInt8], lease: Int64 = 0) {
        self.key = key
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.value = value
        self.lease = lease
    }
}

/// The part of etcd's `ResponseHeader` the store knows: the revision. The
/// server fills in the cluster id, member id and Raft term.
public struct ResponseHeader: Sendable, Hashable {
    /// The store's revision when the request was served (for a write, the
    /// revision the write created, or the current one if it changed nothing).
    public var revision: Int64

    /// Creates a header.
    public init(revision: Int64) {
        self.revision = revision
    }
}
