import ConcordClocks

/// A key and its copy.
public struct KeyedObject: Hashable, Sendable {
    /// The key.
    public var key: ByteString
    /// The copy.
    public var object: StoredObject

    /// A key and its copy.
    public init(key: ByteString, object: StoredObject) {
        self.key = key
        self.object = object
    }
}

/// A coordinator's write to one replica (or to a fallback standing in for
/// one).
public struct ReplicaWrite: Hashable, Sendable {
    /// The coordinator's operation, echoed in the acknowledgement.
    public var operation: UInt64
    /// The key.
    public var key: ByteString
    /// The coordinator's copy with the write merged in.
    public var object: StoredObject
    /// When set, the receiver is a fallback: it keeps the copy as a hint for
    /// this member and hands it over later.
    public var hintFor: MemberID?
    /// Causal mode: what must be visible before the write is (empty: it is
    /// visible at once).
    public var dependencies: [Dependency]

    /// A replica write.
    public init(operation: UInt64, key: ByteString, object: StoredObject, hintFor: MemberID?, dependencies: [Dependency]) {
        self.operation = operation
        self.key = key
        self.object = object
        self.hintFor = hintFor
        self.dependencies = dependencies
    }
}

/// The hash of one node of a Merkle tree: its index within its level.
public struct TreeNodeHash: Hashable, Sendable {
    /// The node's index in its level.
    public var index: Int
    /// Its hash.
    public var hash: UInt64

    /// A node hash.
    public init(index: Int, hash: UInt64) {
        self.index = index
        self.hash = hash
    }
}

/// Everything members send one another.
public enum DynamoMessage: Hashable, Sendable, CustomStringConvertible {
    // Coordination.
    /// A write received by a member that does not replicate its key, passed
    /// to one that does, which coordinates it and answers with `forwardReply`.
    case forward(coordination: UInt64, request: ClientRequest)
    /// The outcome of a forwarded request.
    case forwardReply(coordination: UInt64, outcome: ClientOutcome, session: SessionToken?)
    /// Store a copy (see ``ReplicaWrite``); answered by `replicateAck` once durable.
    case replicate(ReplicaWrite)
    /// The copy of `operation` is durable at the sender.
    case replicateAck(operation: UInt64)
    /// Send your copy of `key` (and your hints for it when `includeHints`);
    /// `session` is the reader's token for the key, which lets a replica show
    /// pending causal writes the reader already depends on.
    case read(operation: UInt64, key: ByteString, session: VersionVector?, includeHints: Bool)
    /// A copy (nil: none) and the pending writes shown to this reader.
    case readReply(operation: UInt64, object: StoredObject?, pendingShown: StoredObject?)
    /// Read repair: merge this copy.
    case repair(KeyedObject)

    // Hinted handoff, and handoff when the ring changes.
    /// Copies for the receiver to merge and acknowledge.
    case handoff(batch: UInt64, objects: [KeyedObject])
    /// The copies of `batch` are durable at the sender.
    case handoffAck(batch: UInt64)

    // Active anti-entropy.
    /// Merkle tree nodes of one level of the arc, to compare with the
    /// receiver's; the receiver descends where they differ.
    case treeCompare(exchange: UInt64, arc: RingArc, level: Int, nodes: [TreeNodeHash])
    /// The copies in differing leaves; with `wantsReply`, the receiver
    /// answers with its own copies in those leaves.
    case treeObjects(exchange: UInt64, arc: RingArc, leaves: [Int], objects: [KeyedObject], wantsReply: Bool)

    // Tombstone collection.
    /// Do you hold these tombstones exactly (or nothing for their keys)?
    case reapQuery(round: UInt64, phase: UInt8, candidates: [KeyedObject])
    /// The candidates the sender agrees to collect.
    case reapVote(round: UInt64, phase: UInt8, agreed: [ByteString])
    /// Collect these tombstones if your copy is still exactly this.
    case reap(candidates: [KeyedObject])

    // Causal mode.
    /// Is `dependency` covered by your visible copy?
    case dependencyCheck(check: UInt64, dependency: Dependency)
    /// The answer.
    case dependencyAnswer(check: UInt64, covered: Bool)

    // Key listing.
    /// List your keys after ring position `after` to the end of its arc
    /// (see ``ClientOperation/listKeys(after:limit:)``), leaving out keys
    /// expired at `now` (the coordinator's milliseconds).
    case listKeys(listing: UInt64, after: UInt64?, limit: Int, now: Int64)
    /// A page of keys and where the next page starts (nil: the ring's end).
    case listKeysReply(listing: UInt64, keys: [ListedKey], next: UInt64?)

    /// Deterministic and short: copies appear as their kind and digest.
    public var description: String {
        switch self {
        case .forward(let coordination, let request):
            "forward #\(coordination) \(request.key) \(request.operation)"
        case .forwardReply(let coordination, let outcome, _):
            "forward-reply #\(coordination) \(outcome)"
        case .replicate(let write):
            "replicate #\(write.operation) \(write.key) \(Self.brief(write.object))"
                + (write.hintFor.map { " hint for \($0)" } ?? "")
                + (write.dependencies.isEmpty ? "" : " deps \(write.dependencies.count)")
        case .replicateAck(let operation): "replicate-ack #\(operation)"
        case .read(let operation, let key, let session, let hints):
            "read #\(operation) \(key)" + (session.map { " token \($0)" } ?? "") + (hints ? " with hints" : "")
        case .readReply(let operation, let object, let pending):
            "read-reply #\(operation) \(object.map(Self.brief) ?? "none")" + (pending == nil ? "" : " +pending")
        case .repair(let keyed): "repair \(keyed.key) \(Self.brief(keyed.object))"
        case .handoff(let batch, let objects): "handoff #\(batch) \(objects.count) keys"
        case .handoffAck(let batch): "handoff-ack #\(batch)"
        case .treeCompare(let exchange, let arc, let level, let nodes):
            "tree #\(exchange) \(arc) level \(level) \(nodes.count) nodes"
        case .treeObjects(let exchange, let arc, let leaves, let objects, let wantsReply):
            "tree-objects #\(exchange) \(arc) \(leaves.count) leaves \(objects.count) keys" + (wantsReply ? " (reply)" : "")
        case .reapQuery(let round, let phase, let candidates): "reap-query #\(round).\(phase) \(candidates.count) keys"
        case .reapVote(let round, let phase, let agreed): "reap-vote #\(round).\(phase) \(agreed.count) keys"
        case .reap(let candidates): "reap \(candidates.count) keys"
        case .dependencyCheck(let check, let dependency): "dep-check #\(check) \(dependency)"
        case .dependencyAnswer(let check, let covered): "dep-answer #\(check) \(covered)"
        case .listKeys(let listing, let after, let limit, _):
            "list-keys #\(listing) after \(after.map(String.init) ?? "start") limit \(limit)"
        case .listKeysReply(let listing, let keys, let next): "list-keys-reply #\(listing) \(keys.count) keys next \(next.map(String.init) ?? "end")"
        }
    }

    static func brief(_ object: StoredObject) -> String {
        "\(object.kind):\(String(object.digest & 0xFFFF, radix: 16))"
    }
}

/// A message and its destination.
public struct Envelope: Hashable, Sendable {
    /// The receiving member.
    public var to: MemberID
    /// The message.
    public var message: DynamoMessage

    /// A message for `to`.
    public init(to: MemberID, message: DynamoMessage) {
        self.to = to
        self.message = message
    }
}
