/// One entry of the simulator's event queue.
///
/// Events are ordered by time and, among events at the same time, by the
/// order in which they were scheduled (`sequence`), so the run never depends
/// on how a priority queue breaks ties.
@usableFromInline
struct SimulationEvent<Message: Sendable, DurableState: Sendable>: Comparable {
    @usableFromInline var time: SimulationInstant
    @usableFromInline var sequence: UInt64
    @usableFromInline var kind: Kind

    @inlinable
    init(time: SimulationInstant, sequence: UInt64, kind: Kind) {
        self.time = time
        self.sequence = sequence
        self.kind = kind
    }

    @usableFromInline
    enum Kind {
        /// A message reaches node slot `to`; `record` is its index in the
        /// run's recording, or -1 when it has none.
        case deliver(Message, from: NodeID, to: Int, record: Int)
        /// Timer `timer` of node slot `node` fires, if still armed with `generation`.
        case timer(node: Int, timer: TimerID, generation: UInt64)
        /// The disk of node slot `node` syncs a write, unless the node crashed
        /// (changed `incarnation`) since the write was made.
        case sync(node: Int, state: DurableState, token: PersistToken, incarnation: UInt64)
        /// The node learns that `token` is durable (queued only while paused).
        case durable(node: Int, token: PersistToken, incarnation: UInt64)
        /// A scheduled fault.
        case fault(Fault)
    }

    @inlinable
    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.time == rhs.time && lhs.sequence == rhs.sequence
    }

    @inlinable
    static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.time != rhs.time { return lhs.time < rhs.time }
        return lhs.sequence < rhs.sequence
    }
}

/// A directed link between two nodes.
@usableFromInline
struct Link: Hashable, Sendable {
    @usableFromInline var from: NodeID
    @usableFromInline var to: NodeID

    @inlinable
    init(from: NodeID, to: NodeID) {
        self.from = from
        self.to = to
    }
}
