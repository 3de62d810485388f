import DequeModule

/// The accept messages sent to one acceptor and not yet acknowledged, each
/// recorded by the last slot it carried and its command bytes: the
/// pipelining window of a Multi-Paxos leader, bounded by a message count.
public struct AcceptWindow: Sendable, Hashable {
    /// The most messages in flight.
    public let messagesMax: Int
    private var lastSlots: Deque<UInt64> = []

    /// Creates an empty window.
    /// - Precondition: `messagesMax > 0`.
    public init(messagesMax: Int) {
        precondition(messagesMax > 0, "the accept window must admit at least one message")
        self.messagesMax = messagesMax
    }

    /// The messages in flight.
    public var count: Int { lastSlots.count }
    /// True when no further message may be sent.
    public var isFull: Bool { lastSlots.count >= messagesMax }

    /// Records a message carrying slots up to `slot`.
    /// - Precondition: the window is not full and slots increase.
    public mutating func add(lastSlot slot: UInt64) {
        precondition(!isFull, "sending past a full accept window")
        precondition(lastSlots.last.map { slot > $0 } ?? true, "accept window slots must increase")
        lastSlots.append(slot)
    }

    /// Frees every message whose slots are all acknowledged.
    public mutating func free(upTo slot: UInt64) {
        while let first = lastSlots.first, first <= slot { lastSlots.removeFirst() }
    }

    /// Frees the oldest message, if any.
    public mutating func freeOldest() {
        if !lastSlots.isEmpty { lastSlots.removeFirst() }
    }

    /// Empties the window.
    public mutating func reset() {
        lastSlots.removeAll()
    }
}
