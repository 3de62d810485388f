import GRPCCore

/// An error from ``ConcordClient``: either etcd's own answer (a gRPC status
/// code with etcd's message, such as `etcdserver: mvcc: required revision has
/// been compacted`) or a condition the client detected itself.
public enum ConcordClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with a gRPC status. `message` is etcd's text.
    case rpc(code: RPCError.Code, message: String)
    /// No endpoint in the list answered; `message` is the last failure seen.
    case unavailable(endpoints: [String], message: String)
    /// The caller passed something the client refuses before sending it.
    case invalidArgument(String)
    /// A watch asked for history that compaction has removed. Every event at
    /// or after `compactRevision` can still be watched.
    case watchCompacted(compactRevision: Int64)
    /// The server cancelled a watch for `reason`.
    case watchCanceled(reason: String)
    /// The lease no longer exists on the server (it expired or was revoked).
    case leaseExpired(id: Int64)
    /// A write guarded by a fencing token was refused: the lock key no longer
    /// has the token as its create revision, so another holder may own it.
    case fencingTokenRejected(lockKey: String, token: Int64)
    /// A create-if-absent found the key already present.
    case keyExists(String)
    /// The session was closed or its lease was lost.
    case sessionClosed

    /// A one-line description naming the code and etcd's message.
    public var description: String {
        switch self {
        case let .rpc(code, message): "\(code): \(message)"
        case let .unavailable(endpoints, message): "no endpoint of \(endpoints) is available: \(message)"
        case let .invalidArgument(message): "invalid argument: \(message)"
        case let .watchCompacted(revision): "watch start revision was compacted; oldest available is \(revision)"
        case let .watchCanceled(reason): "watch canceled by the server: \(reason)"
        case let .leaseExpired(id): "lease \(String(id, radix: 16)) expired or was revoked"
        case let .fencingTokenRejected(key, token): "fencing token \(token) for lock key \(key) is stale"
        case let .keyExists(key): "key \(key) already exists"
        case .sessionClosed: "session is closed"
        }
    }

    /// The gRPC status code: etcd's for ``rpc(code:message:)``, and the
    /// nearest standard code for errors the client raises itself.
    public var code: RPCError.Code {
        switch self {
        case let .rpc(code, _): code
        case .unavailable: .unavailable
        case .invalidArgument: .invalidArgument
        case .watchCompacted: .outOfRange
        case .watchCanceled: .cancelled
        case .leaseExpired: .notFound
        case .fencingTokenRejected: .failedPrecondition
        case .keyExists: .alreadyExists
        case .sessionClosed: .failedPrecondition
        }
    }

    /// Whether etcd refused a read or compaction because the revision was compacted.
    public var isCompacted: Bool {
        if case let .rpc(_, message) = self { return message.contains("required revision has been compacted") }
        return false
    }

    init(_ error: RPCError) {
        self = .rpc(code: error.code, message: error.message)
    }
}
