/// The `Raft` namespace of Concord: the consensus core lives in `RaftNode`
/// and the small pure pieces it is built from. See docs/raft.md.
public enum Raft {}

/// The identity of one member (server) of a Raft group. Zero is reserved
/// for "no member". (ConcordClocks' `ReplicaID` names a replica of a clock
/// or a CRDT; the two are different names on purpose.)
public typealias MemberID = UInt64
