/// The part of a replica's state that must be durable before any message
/// that depends on it leaves (Raft Figure 2, "persistent state"), plus the
/// commit index, which is persisted so a restart need not relearn it.
public struct HardState: Sendable, Hashable {
    /// The latest term this replica has seen.
    public var term: UInt64
    /// The candidate this replica voted for in `term`, if any.
    public var vote: MemberID?
    /// The highest log index known to be committed.
    public var commit: UInt64

    /// Creates a hard state; the default is the state of a fresh replica.
    public init(term: UInt64 = 0, vote: MemberID? = nil, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}
