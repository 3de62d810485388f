/// Everything a `PaxosNode` asks its driver to do after one input.
///
/// ## The ordering contract
///
/// A driver handles an output in this order, and handles outputs in the
/// order the node returned them:
///
/// 1. `persist` (when present) is written to durable storage, possibly
///    asynchronously; when it and every earlier request are durable the
///    driver calls `PaxosNode.onPersisted(upTo: persist.sequence)`.
///    Requests become durable in sequence order.
/// 2. `messages` may be sent at once, in any order. None depends on state
///    that is not yet durable: an acceptor's promises and acceptances
///    ("Paxos Made Simple" §2.5) are held by the node and appear in the
///    output of the `onPersisted` call that makes them durable. A
///    proposer's own promise and acceptance count only then too.
/// 3. `chosen` values are applied in slot order: they extend the prefix of
///    slots whose values this replica has learned, without gaps. An empty
///    value is a no-op a replica proposed to learn a slot.
///
/// The network may lose, duplicate and reorder messages; Paxos tolerates it.
public struct PaxosOutput: Sendable {
    /// State to make durable, then report with `onPersisted(upTo:)`.
    public var persist: PaxosPersistRequest?
    /// Messages that may be sent now.
    public var messages: [PaxosMessage] = []
    /// Chosen values to apply, continuing the learned prefix in slot order.
    public var chosen: [ChosenValue] = []

    /// An empty output.
    public init() {}

    /// True when the output asks for nothing.
    public var isEmpty: Bool { persist == nil && messages.isEmpty && chosen.isEmpty }
}

/// A value chosen in one slot.
public struct ChosenValue: Sendable, Hashable {
    /// The slot.
    public var slot: UInt64
    /// The value; empty for a no-op.
    public var value: [UInt8]

    /// Creates a chosen value.
    public init(slot: UInt64, value: [UInt8]) {
        self.slot = slot
        self.value = value
    }
}

/// Why a request to a Paxos core was refused. A refused request changes
/// nothing.
public enum PaxosRequestError: Error, Sendable, Hashable {
    /// An empty value: empty values are the no-ops replicas propose
    /// themselves.
    case emptyValue
    /// The replica already holds this many own values not yet chosen.
    case tooManyPendingValues(limit: Int)
}
