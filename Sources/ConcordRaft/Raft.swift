/// The `Raft` namespace of Concord: the consensus core lives in `RaftNode`
/// and the small pure pieces it is built from. See docs/raft.md.
public enum Raft {}

/// The identity of one replica (server) of a Raft group. Zero is reserved
/// for "no replica".
public typealias ReplicaID = UInt64
