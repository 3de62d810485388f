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

    /// etcd's message.
    public var message: String {
        switch self {
        case .noLeader: "etcdserver: no leader"
        case .timedOut: "etcdserver: request timed out"
        case .stopping: "etcdserver: server stopped"
        case .proposalRefused(let reason): "etcdserver: too many requests (\(reason))"
        }
    }

    /// The gRPC status code etcd answers with (all are `UNAVAILABLE`, 14).
    public var grpcStatusCode: Int { 14 }

    /// The message.
    public var description: String { message }
}
