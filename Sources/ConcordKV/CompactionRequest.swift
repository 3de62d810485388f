/// etcd's `CompactionRequest`: forget every revision of history below
/// `revision`, so the space it holds is freed.
public struct CompactionRequest: Sendable, Hashable {
    /// Reads below this revision fail with `KVError.compacted` afterwards.
    public var revision: Int64
    /// In etcd, wait until the compaction is physically applied. Concord's
    /// store frees history as it applies the command, so it changes nothing
    /// here; the server may use it.
    public var physical: Bool

    /// Creates a compaction request.
    public init(revision: Int64, physical: Bool = false) {
        self.revision = revision
        self.physical = physical
    }
}

/// etcd's `CompactionResponse`.
public struct CompactionResponse: Sendable, Hashable {
    /// The store's revision when the request was served.
    public var header: ResponseHeader

    /// Creates a compaction response.
    public init(header: ResponseHeader) {
        self.header = header
    }
}
