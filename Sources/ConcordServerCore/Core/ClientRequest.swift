import ConcordKV

/// A client request's identity, chosen by the shell: unique among the
/// requests in flight on one member. The core answers with it.
public typealias ClientRequestID = UInt64

/// What a client asks of a Concord member: etcd's v3 API as the server core
/// takes it, with keys, values and options already translated from gRPC.
public enum ClientRequest: Sendable, Hashable {
    /// Reads a range (serializable from the local store, otherwise after a
    /// ReadIndex round).
    case range(RangeRequest)
    /// Serves a transaction that only reads.
    case readOnlyTxn(TxnRequest, serializable: Bool)
    /// Proposes a put, delete, transaction with writes, or compaction.
    case write(KVCommand)
    /// Grants a lease; the id is chosen by the member when 0.
    case leaseGrant(id: Int64, ttlSeconds: Int64)
    /// Revokes a lease, deleting its keys.
    case leaseRevoke(id: Int64)
    /// Renews a lease (answered by the leader, directly or forwarded).
    case leaseKeepAlive(id: Int64)
    /// Reports a lease's remaining and granted TTL (and keys).
    case leaseTimeToLive(id: Int64, keys: Bool)
    /// Lists every lease, after a ReadIndex round.
    case leaseList
    /// Adds a member (etcd's MemberAdd).
    case memberAdd(MemberRecord)
    /// Removes a member for good.
    case memberRemove(id: UInt64)
    /// Replaces a member's peer URLs.
    case memberUpdate(id: UInt64, peerURLs: [String])
    /// Makes a learner a voter.
    case memberPromote(id: UInt64)
    /// Hands leadership to another voter (etcd's MoveLeader).
    case moveLeader(to: UInt64)
    /// Proposes a change to the auth store (etcd's Auth service; password
    /// hashes, never passwords).
    case auth(AuthCommand)
    /// Reads the auth store after a ReadIndex round.
    case authQuery(AuthQuery)

    /// True for requests that need a known leader before anything happens.
    var needsLeader: Bool {
        switch self {
        case .range(let request): !request.serializable
        case .readOnlyTxn(_, let serializable): !serializable
        case .moveLeader: false
        default: true
        }
    }
}

/// A successful answer to a `ClientRequest`.
public enum ClientAnswer: Sendable, Hashable {
    /// A range's keys.
    case range(RangeResponse)
    /// A read-only transaction's answer.
    case txn(TxnResponse)
    /// A write's result.
    case kv(KVResult)
    /// A granted lease.
    case leaseGranted(id: Int64, ttlSeconds: Int64)
    /// The lease was revoked.
    case leaseRevoked
    /// The lease was renewed for this many seconds.
    case leaseRenewed(ttlSeconds: Int64)
    /// A lease's status.
    case leaseTimeToLive(LeaseTimeToLive)
    /// Every lease id.
    case leaseIDs([Int64])
    /// The member list after a membership change.
    case members([MemberRecord])
    /// Leadership moved to the requested member.
    case leaderMoved
    /// The auth command was applied.
    case authApplied
    /// The answer to an auth query.
    case auth(AuthAnswer)
}

/// Why a request failed: the store's, the lease table's, membership's or
/// the server's own error, each with etcd's status and message.
public enum RequestFailure: Error, Sendable, Hashable {
    case kv(KVError)
    case lease(LeaseError)
    case membership(MembershipError)
    case server(ServerError)
    case auth(AuthError)

    /// The error inside, for a shell that throws it.
    public var error: any Error {
        switch self {
        case .kv(let error): error
        case .lease(let error): error
        case .membership(let error): error
        case .server(let error): error
        case .auth(let error): error
        }
    }
}

/// The core's answer to one client request, with what etcd's response
/// header reports at the moment of the answer.
public struct ServerReply: Sendable {
    /// The request answered.
    public var request: ClientRequestID
    /// The answer, or why there is none.
    public var result: Result<ClientAnswer, RequestFailure>
    /// The engine's term when answered (Raft's term, or the Multi-Paxos
    /// ballot promised).
    public var term: UInt64
    /// The store's revision when answered.
    public var revision: Int64

    /// Creates a reply.
    public init(request: ClientRequestID, result: Result<ClientAnswer, RequestFailure>, term: UInt64, revision: Int64) {
        self.request = request
        self.result = result
        self.term = term
        self.revision = revision
    }
}
