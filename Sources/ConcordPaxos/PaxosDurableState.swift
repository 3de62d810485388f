import HashTreeCollections

/// The durable state of one instance of a `PaxosNode`: its acceptor's
/// promise and acceptance, and the value chosen there once learned.
public struct PaxosSlotRecord: Sendable, Hashable {
    /// The instance.
    public var slot: UInt64
    /// The highest ballot promised.
    public var promised: Ballot
    /// The proposal accepted last.
    public var accepted: AcceptedValue?
    /// The value chosen, once learned.
    public var chosen: [UInt8]?

    /// Creates a record.
    public init(slot: UInt64, promised: Ballot, accepted: AcceptedValue?, chosen: [UInt8]?) {
        self.slot = slot
        self.promised = promised
        self.accepted = accepted
        self.chosen = chosen
    }
}

/// Everything a `PaxosNode` keeps durably: one record per instance it took
/// part in, by slot. It restarts from exactly this.
///
/// The records live in a persistent hash trie, so that a copy (a
/// simulated disk keeps one per write) shares all but the changed paths.
public struct PaxosDurableState: Sendable, Hashable {
    /// The records, by slot.
    public var records: TreeDictionary<UInt64, PaxosSlotRecord>

    /// Creates a durable state; empty for a fresh replica.
    public init(records: [PaxosSlotRecord] = []) {
        self.records = TreeDictionary(records.map { ($0.slot, $0) }, uniquingKeysWith: { $1 })
    }

    /// Applies a persist request: each record replaces the one of its slot.
    public mutating func apply(_ request: PaxosPersistRequest) {
        for record in request.records { records[record.slot] = record }
    }
}

/// One write a `PaxosNode` asks its driver to make durable (see
/// `PaxosOutput`): the records of every instance whose state changed since
/// the previous request. When it and every earlier request are durable the
/// driver calls `PaxosNode.onPersisted(upTo: sequence)`.
public struct PaxosPersistRequest: Sendable, Hashable {
    /// Increases by one with every request of a node since it started.
    public var sequence: UInt64
    /// The records to store, each replacing the stored one of its slot.
    public var records: [PaxosSlotRecord]

    /// Creates a request.
    public init(sequence: UInt64, records: [PaxosSlotRecord]) {
        self.sequence = sequence
        self.records = records
    }
}
