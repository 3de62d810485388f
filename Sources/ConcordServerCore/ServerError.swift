import ConcordKV

/// Why the server could not answer a client, beyond the store's own
/// `KVError`s. Each maps to the gRPC status and message etcd answers with.
public enum ServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No leader is known, so nothing can be proposed or read linearizably.
    case noLeader
    /// The request did not complete within the request timeout; a write may
    /// still take effect later.
    case timedOut
    /// The node is shutting down.
    case stopping
    /// Raft refused the proposal (for example, too many uncommitted bytes).
    case proposalRefused(String)
    /// The request must go to the leader (MoveLeader).
    case notLeader
    /// MoveLeader named a member that is not a voter.
    case badLeaderTransferee
    /// The leadership transfer did not finish within the request timeout.
    case leaderTransferTimedOut
    /// This member was removed from the cluster and stops serving.
    case removedFromCluster
    /// The leader changed while a request forwarded to it awaited its
    /// answer (a lease keep-alive or time-to-live); the client retries.
    case leaderChanged

    /// etcd's message.
    public var message: String {
        switch self {
        case .noLeader: "etcdserver: no leader"
        case .timedOut: "etcdserver: request timed out"
        case .stopping: "etcdserver: server stopped"
        case .proposalRefused(let reason): "etcdserver: too many requests (\(reason))"
        case .notLeader: "etcdserver: not leader"
        case .badLeaderTransferee: "etcdserver: bad leader transferee"
        case .leaderTransferTimedOut: "etcdserver: request timed out, leader transfer took too long"
        case .removedFromCluster: "etcdserver: the member has been permanently removed from the cluster"
        case .leaderChanged: "etcdserver: leader changed"
        }
    }

    /// The gRPC status code etcd answers with: `FAILED_PRECONDITION` (9)
    /// for a bad transferee, `UNAVAILABLE` (14) otherwise.
    public var grpcStatusCode: Int {
        switch self {
        case .badLeaderTransferee: 9
        default: 14
        }
    }

    /// The message.
    public var description: String { message }
}
