/// One entry of the simulator's event queue.
///
/// Events are ordered by time and, among events at the same time, by the
/// order in which they were scheduled (`sequence`), so the run never depends
/// on how a priority queue breaks ties.
struct SimulationEvent<Message: Sendable, DurableState: Sendable>: Comparable {
    var time: SimulationInstant
    var sequence: UInt64
    var kind: Kind

    enum Kind {
        /// A message reaches node slot `to`.
        case deliver(Message, from: NodeID, to: Int)
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

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.time == rhs.time && lhs.sequence == rhs.sequence
    }

    static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.time != rhs.time { return lhs.time < rhs.time }
        return lhs.sequence < rhs.sequence
    }
}

/// A directed link between two nodes.
struct Link: Hashable, Sendable {
    var from: NodeID
    var to: NodeID
}
