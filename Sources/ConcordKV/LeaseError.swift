/// Why a lease request was refused, with etcd's message and gRPC status
/// code. A refused request changes nothing.
public enum LeaseError: Error, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The lease does not exist (or has expired and awaits its revoke); a
    /// grant with ID 0 reaching the state machine also gets it, as in etcd's
    /// lessor.
    case leaseNotFound
    /// A grant names an ID already in use.
    case leaseExists
    /// A grant's TTL exceeds `LeaseTable.ttlSecondsMax`.
    case ttlTooLarge
    /// A keep-alive or time-to-live reached a node that is not the leader;
    /// the server forwards it to the leader.
    case notLeader

    /// etcd's message, word for word.
    public var message: String {
        switch self {
        case .leaseNotFound: "etcdserver: requested lease not found"
        case .leaseExists: "etcdserver: lease already exists"
        case .ttlTooLarge: "etcdserver: too large lease TTL"
        case .notLeader: "etcdserver: not leader"
        }
    }

    /// The gRPC status code etcd answers with (5 not found, 9 failed
    /// precondition, 11 out of range, 14 unavailable).
    public var grpcStatusCode: Int {
        switch self {
        case .leaseNotFound: 5
        case .leaseExists: 9
        case .ttlTooLarge: 11
        case .notLeader: 14
        }
    }

    /// etcd's message.
    public var description: String { message }
}
