/// Everything a ``DynamoNode`` asks its driver to do after one input.
///
/// ## The ordering contract
///
/// A driver handles outputs in the order the node returned them, and each
/// output in this order:
///
/// 1. `records` are appended to durable storage, in order (see
///    ``StorageRecord``). The write may proceed asynchronously.
/// 2. `messages` and `replies` go out only once the records of this output
///    *and of every earlier output* are durable. An output with no records
///    may go out as soon as every earlier output's records are durable.
///
/// That single rule is what makes the store's promises hold across crashes:
/// an acknowledgement (to a coordinator or a client) is never sent for a
/// copy that a crash could still lose; a dot never leaves a member before
/// the actor epoch that makes it unique is durable; and no reply reveals a
/// state that a restart would forget. A server that relaxes durability
/// (Redis's `appendfsync everysec` or `no`) may treat a record as durable
/// once written, not synced, and gives up exactly these promises for the
/// last second of writes; the epoch records must still be synced (see
/// docs/dynamo.md).
///
/// The network may lose, duplicate, delay and reorder messages; the store
/// tolerates all of it.
public struct DynamoOutput: Sendable {
    /// Durable changes, in order.
    public var records: [StorageRecord] = []
    /// Messages to send once `records` are durable.
    public var messages: [Envelope] = []
    /// Answers to clients, once `records` are durable.
    public var replies: [ClientReply] = []
    /// Human-readable notes on what the member did (read repairs, handoffs,
    /// anti-entropy exchanges, tombstones collected), for timelines and logs.
    public var notes: [String] = []

    /// An empty output.
    public init() {}

    /// True when the output asks for nothing.
    public var isEmpty: Bool {
        records.isEmpty && messages.isEmpty && replies.isEmpty && notes.isEmpty
    }

    mutating func send(_ message: DynamoMessage, to member: MemberID) {
        messages.append(Envelope(to: member, message: message))
    }
}
