import ConcordRaft

/// What a Raft lab server sends that ``RaftLabServerCore`` builds itself:
/// Raft messages to other servers and a "not the leader" answer to clients.
/// Each lab's message enum provides these from its own cases.
protocol RaftLabServerMessage: Sendable {
    /// A message between servers.
    static func raft(_ message: RaftMessage) -> Self
    /// The answer to the client request `sequence` that this server cannot
    /// serve now; the client may try `leaderHint`.
    static func notLeader(sequence: UInt64, leaderHint: Int?) -> Self
}
