import ConcordClocks

/// A client's request to the store, as the driver hands it to the member
/// that received it. The member coordinates it (or forwards a write to a
/// replica of the key) and answers with a ``ClientReply`` carrying the same
/// `id`.
public struct ClientRequest: Hashable, Sendable {
    /// The driver's name for the request, unique among its requests to this
    /// member that are still open; returned in the reply.
    public var id: UInt64
    /// The key.
    public var key: ByteString
    /// What to do.
    public var operation: ClientOperation
    /// N, R, W, sloppiness and causal mode.
    public var consistency: RequestConsistency
    /// The session's token, for session guarantees (required in causal mode).
    public var session: SessionToken?
    /// How a `put`, `delete` or `update` changes the key's deadline
    /// (``Expiry``); `.keep` by default. A write to a key that has expired
    /// at the coordinator's time starts it afresh without a deadline unless
    /// this sets one.
    public var expiry: ExpiryChange

    /// A request.
    public init(
        id: UInt64, key: ByteString, operation: ClientOperation, consistency: RequestConsistency = .quorum,
        session: SessionToken? = nil, expiry: ExpiryChange = .keep
    ) {
        self.id = id
        self.key = key
        self.operation = operation
        self.consistency = consistency
        self.session = session
        self.expiry = expiry
    }

    /// Whether the operation writes.
    public var isWrite: Bool {
        switch operation {
        case .get, .listKeys: false
        default: true
        }
    }
}

/// What a request does to its key.
public enum ClientOperation: Hashable, Sendable, CustomStringConvertible {
    /// Reads the key: its siblings and causal context, its value, or its CRDT.
    case get
    /// Writes a value, in sibling or last-writer-wins mode.
    case put(ByteString, context: WriteContext = .none, mode: VersioningMode = .siblings, condition: WriteCondition = .always)
    /// Deletes the key: a tombstone version in sibling and last-writer-wins
    /// mode; for a CRDT, removes what the coordinator has observed (a
    /// counter is brought back to zero and marked deleted by its expiry:
    /// see ``Expiry/deletedDeadline``).
    case delete(context: WriteContext = .none)
    /// Applies a CRDT operation, merged on the server.
    case update(CRDTUpdate)
    /// Sets or clears the key's deadline (`.keep` changes nothing), if the
    /// key exists at the coordinator's time (after a read at R) and the
    /// condition holds; otherwise answers `conditionNotMet` and writes
    /// nothing. Redis's `EXPIRE` family and `PERSIST`.
    case expire(ExpiryChange, condition: ExpiryCondition = .always)
    /// Lists keys (the request's key is ignored): the keys a live replica
    /// holds in the ring arc after ring position `after` (nil: from
    /// position 0), from that position to the arc's end, in order of
    /// position then bytes, at most about `limit` (a page never splits
    /// keys of one position); tombstones and keys expired at the
    /// coordinator's time left out. Answered by ``ClientOutcome/keys(_:next:)``.
    /// Redis's KEYS, SCAN and DBSIZE.
    case listKeys(after: UInt64?, limit: Int)

    public var description: String {
        switch self {
        case .get: "get"
        case .put(let value, let context, let mode, let condition):
            "put \(value) \(context)" + (mode == .lastWriterWins ? " lww" : "") + (condition == .always ? "" : " \(condition)")
        case .delete(let context): "delete \(context)"
        case .update(let update): "\(update)"
        case .expire(let change, let condition): "expire \(change)" + (condition == .always ? "" : " \(condition)")
        case .listKeys(let after, let limit): "list keys after \(after.map(String.init) ?? "start") limit \(limit)"
        }
    }
}

/// The causal context a sibling-mode write is made in: which versions it
/// supersedes. Riak's model: pass back the context a read returned.
public enum WriteContext: Hashable, Sendable, CustomStringConvertible {
    /// No context: the write supersedes nothing and becomes a new sibling
    /// (unless the session token supplies a context).
    case none
    /// The context a read returned: the write supersedes the versions it covers.
    case provided(VersionVector)
    /// Whatever the coordinator's copy holds once it has caught up with the
    /// request's R replicas: an overwrite, as Redis's `SET` means it.
    case current

    public var description: String {
        switch self {
        case .none: "blind"
        case .provided(let context): "ctx\(context)"
        case .current: "overwrite"
        }
    }
}

/// How a `put` is versioned.
public enum VersioningMode: UInt8, Hashable, Sendable {
    /// Dotted version vectors with siblings.
    case siblings = 1
    /// Last writer wins by hybrid logical clock.
    case lastWriterWins = 2
}

/// A condition a `put` checks first, against the copies of a read at the
/// request's R (Redis's `NX` and `XX`). The check and the write are not
/// atomic: a concurrent write may slip between them.
public enum WriteCondition: UInt8, Hashable, Sendable {
    /// Write unconditionally.
    case always = 0
    /// Write only if the key has no value (`NX`).
    case ifAbsent = 1
    /// Write only if the key has a value (`XX`).
    case ifPresent = 2
}

/// A CRDT operation.
public enum CRDTUpdate: Hashable, Sendable, CustomStringConvertible {
    /// Adds to a PN-counter (negative: subtracts).
    case increment(Int64)
    /// Adds elements to an OR-set.
    case addToSet([ByteString])
    /// Removes the observed elements from an OR-set.
    case removeFromSet([ByteString])
    /// Sets fields of a map.
    case setFields([MapField])
    /// Removes the observed fields of a map.
    case removeFields([ByteString])
    /// Assigns a multi-value register.
    case assign(ByteString)
    /// Enables a flag.
    case enable
    /// Disables the observed enables of a flag.
    case disable

    /// The kind of object the operation works on.
    public var kind: ObjectKind {
        switch self {
        case .increment: .counter
        case .addToSet, .removeFromSet: .set
        case .setFields, .removeFields: .map
        case .assign: .register
        case .enable, .disable: .flag
        }
    }

    /// Whether the operation's meaning depends on what the coordinator has
    /// observed (removals do; additions and increments do not).
    var observes: Bool {
        switch self {
        case .removeFromSet, .removeFields, .disable, .assign: true
        case .increment, .addToSet, .setFields, .enable: false
        }
    }

    public var description: String {
        switch self {
        case .increment(let amount): "increment \(amount)"
        case .addToSet(let elements): "sadd \(elements.map(\.description).joined(separator: " "))"
        case .removeFromSet(let elements): "srem \(elements.map(\.description).joined(separator: " "))"
        case .setFields(let fields): "hset \(fields.map { "\($0.field)=\($0.values.first?.description ?? "")" }.joined(separator: " "))"
        case .removeFields(let fields): "hdel \(fields.map(\.description).joined(separator: " "))"
        case .assign(let value): "assign \(value)"
        case .enable: "enable"
        case .disable: "disable"
        }
    }
}

/// The answer to a ``ClientRequest``.
public struct ClientReply: Hashable, Sendable {
    /// The request's `id`.
    public var id: UInt64
    /// What happened.
    public var outcome: ClientOutcome
    /// The request's token extended with what this reply showed (nil when
    /// the request carried none).
    public var session: SessionToken?
    /// For a read of a key with a deadline: the milliseconds it has left
    /// at the coordinator's time (nil: no deadline, or absent).
    public var timeToLive: Int64?

    /// A reply.
    public init(id: UInt64, outcome: ClientOutcome, session: SessionToken?, timeToLive: Int64? = nil) {
        self.id = id
        self.outcome = outcome
        self.session = session
        self.timeToLive = timeToLive
    }
}

/// How a request ended.
public enum ClientOutcome: Hashable, Sendable, CustomStringConvertible {
    /// A read's result: the value and the causal context to write back with.
    case read(ReadValue, context: VersionVector)
    /// A write reached W replicas. `value` is the coordinator's copy after
    /// the write (all siblings, or the CRDT's new value), `version` its version.
    case written(ReadValue, version: VersionVector)
    /// A conditional put found its condition false and wrote nothing.
    case conditionNotMet(ReadValue)
    /// The request failed; see the error for whether it may have taken effect.
    case failed(DynamoRequestError)
    /// A page of keys (``ClientOperation/listKeys(after:limit:)``); `next`
    /// is the position to list after next, nil once the ring's end is reached.
    case keys([ListedKey], next: UInt64?)

    public var description: String {
        switch self {
        case .read(let value, let context): "read \(value) ctx\(context)"
        case .written(let value, let version): "written \(value) v\(version)"
        case .conditionNotMet(let value): "condition not met (\(value))"
        case .failed(let error): "failed: \(error)"
        case .keys(let keys, let next): "keys \(keys.count) next \(next.map(String.init) ?? "end")"
        }
    }
}

/// Why a request failed.
public enum DynamoRequestError: Error, Hashable, Sendable, CustomStringConvertible {
    /// N, R or W make no sense for this ring. Nothing was done.
    case invalidConsistency(String)
    /// The request is malformed (for example causal mode without a session
    /// token, or an empty update). Nothing was done.
    case invalidRequest(String)
    /// The key holds another kind of object. Nothing was done.
    case wrongType(ObjectKind)
    /// Too few replicas answered in time. A write may still have taken
    /// effect on some replicas (and may spread from there).
    case unavailable(answered: Int, required: Int)
    /// The member coordinates too many requests already. Nothing was done.
    case overloaded
    /// A last-writer-wins write carried a session timestamp further ahead
    /// of this member's clock than the configured offset allows. Nothing was done.
    case clockBehind
    /// An increment of a key holding a string that is not an integer
    /// (Redis's INCR on "abc"). Nothing was done.
    case notAnInteger
    /// An increment that would take the coordinator's counter out of the
    /// 64-bit range. Nothing was done.
    case overflow

    public var description: String {
        switch self {
        case .invalidConsistency(let reason): "invalid consistency: \(reason)"
        case .invalidRequest(let reason): "invalid request: \(reason)"
        case .wrongType(let kind): "the key holds a \(kind)"
        case .unavailable(let answered, let required): "unavailable: \(answered) of \(required) replicas answered"
        case .overloaded: "overloaded"
        case .clockBehind: "the session's timestamp is too far ahead of this member's clock"
        case .notAnInteger: "the key's value is not an integer"
        case .overflow: "the increment would overflow"
        }
    }

    /// Whether the request certainly had no effect.
    public var isDefinite: Bool {
        if case .unavailable = self { return false }
        return true
    }
}
