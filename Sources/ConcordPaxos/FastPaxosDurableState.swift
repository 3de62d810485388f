import HashTreeCollections

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
