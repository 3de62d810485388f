import HashTreeCollections

/// Everything a `FastPaxosNode` asks its driver to do after one input.
///
/// ## The ordering contract
///
/// 1. `persist` (when present) is written to durable storage; when it and
///    every earlier request are durable the driver calls
///    `FastPaxosNode.onPersisted(upTo: persist.sequence)`.
/// 2. `messages` may be sent at once. Promises and votes, which report
///    durable state, are held by the node until `onPersisted` releases them.
/// 3. `chosen` decisions are applied in slot order, continuing the prefix
///    this replica has learned without gaps. A command may appear in two
///    slots (a client retried it, or recovery placed one a fast round also
///    chose): the application applies each command once.
public struct FastPaxosOutput: Sendable {
    /// State to make durable, then report with `onPersisted(upTo:)`.
    public var persist: FastPaxosPersistRequest?
    /// Messages that may be sent now.
    public var messages: [FastPaxosMessage] = []
    /// Chosen values to apply, in slot order.
    public var chosen: [FastPaxosDecision] = []
    /// The role and coordinator, when either changed.
    public var roleChange: FastPaxosRoleState?

    /// An empty output.
    public init() {}

    /// True when the output asks for nothing.
    public var isEmpty: Bool { persist == nil && messages.isEmpty && chosen.isEmpty && roleChange == nil }
}

/// The role of a Fast Paxos replica.
public enum FastPaxosRole: String, Sendable, Hashable {
    /// An acceptor and learner.
    case follower
    /// Running phase 1 with a ballot of its own.
    case candidate
    /// The coordinator (leader): it decides classic slots, opens fast
    /// rounds, learns fast ones and recovers from collisions.
    case coordinator
}

/// A replica's role and the coordinator it knows.
public struct FastPaxosRoleState: Sendable, Hashable {
    /// The role.
    public var role: FastPaxosRole
    /// The coordinator, when known.
    public var coordinator: ReplicaID?
    /// The highest ballot promised.
    public var ballot: Ballot
    /// True when the coordinator's current ballot is a fast round.
    public var isFast: Bool
}

/// The durable state of one slot of a `FastPaxosNode`.
public struct FastPaxosSlotRecord: Sendable, Hashable {
    /// The slot.
    public var slot: UInt64
    /// The acceptor's latest vote there.
    public var vote: FastPaxosVote?
    /// The value chosen there, once learned.
    public var chosen: [[UInt8]]?

    /// Creates a record.
    public init(slot: UInt64, vote: FastPaxosVote?, chosen: [[UInt8]]?) {
        self.slot = slot
        self.vote = vote
        self.chosen = chosen
    }
}

/// Everything a `FastPaxosNode` keeps durably: its promise and one record
/// per slot it voted in or learned. It restarts from exactly this. The
/// records live in a persistent hash trie, so that copies share structure.
public struct FastPaxosDurableState: Sendable, Hashable {
    /// The highest ballot promised.
    public var promised: Ballot
    /// The records, by slot.
    public var records: TreeDictionary<UInt64, FastPaxosSlotRecord>

    /// Creates a durable state; empty for a fresh replica.
    public init(promised: Ballot = .zero, records: [FastPaxosSlotRecord] = []) {
        self.promised = promised
        self.records = TreeDictionary(records.map { ($0.slot, $0) }, uniquingKeysWith: { $1 })
    }

    /// Applies a persist request.
    public mutating func apply(_ request: FastPaxosPersistRequest) {
        if let newPromise = request.promised { promised = newPromise }
        for record in request.records { records[record.slot] = record }
    }
}

/// One write a `FastPaxosNode` asks its driver to make durable: the
/// promise when it changed and the records of the slots that changed.
public struct FastPaxosPersistRequest: Sendable, Hashable {
    /// Increases by one with every request of a node since it started.
    public var sequence: UInt64
    /// The promise, when it changed.
    public var promised: Ballot?
    /// Records replacing the stored ones of their slots.
    public var records: [FastPaxosSlotRecord]

    /// Creates a request.
    public init(sequence: UInt64, promised: Ballot?, records: [FastPaxosSlotRecord]) {
        self.sequence = sequence
        self.promised = promised
        self.records = records
    }
}
