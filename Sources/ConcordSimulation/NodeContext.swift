import ConcordFoundation

/// What a node's handler sees of the world, and where it leaves its effects.
///
/// The simulator hands a fresh context to every handler call and performs the
/// collected effects (messages, timers, disk writes, log lines) in order once
/// the handler returns. A node never sees true time except through `trueTime`,
/// which exists only so that simulated clients can record histories for a
/// checker; protocol code reads `now`, its own possibly wrong clock.
public struct NodeContext<Message: Sendable, DurableState: Sendable> {
    /// The node this context belongs to.
    public let id: NodeID
    /// This node's local clock, with its skew, drift and jumps applied.
    /// Protocols read only this clock.
    public let now: SimulationInstant
    /// True virtual time. Only for recording client histories for a checker:
    /// a protocol that reads it cheats.
    public let trueTime: SimulationInstant
    /// Every node of the simulation, this one included, in creation order.
    public let nodeIDs: [NodeID]
    /// A random stream owned by this node, derived from the run's seed. Draws
    /// made here carry over to the node's next handler call.
    public var random: SeededRandom

    @usableFromInline var effects: [NodeEffect<Message, DurableState>] = []
    @usableFromInline var nextPersistToken: UInt64

    @inlinable
    init(id: NodeID, now: SimulationInstant, trueTime: SimulationInstant, nodeIDs: [NodeID], random: SeededRandom, nextPersistToken: UInt64) {
        self.id = id
        self.now = now
        self.trueTime = trueTime
        self.nodeIDs = nodeIDs
        self.random = random
        self.nextPersistToken = nextPersistToken
    }

    /// Sends `message` to node `to` over the simulated network, which may
    /// delay, lose, duplicate or reorder it, or drop it at a partition.
    @inlinable public mutating func send(_ message: Message, to: NodeID) {
        effects.append(.send(message, to: to))
    }

    /// Arms timer `id` to fire after `delay` as measured by this node's clock
    /// (so a drifting clock fires early or late). Re-arming replaces.
    @inlinable public mutating func setTimer(_ id: TimerID, after delay: SimulationDuration) {
        precondition(delay.nanoseconds >= 0, "a timer cannot fire in the past")
        effects.append(.setTimer(id, after: delay))
    }

    /// Disarms timer `id`; nothing happens if it is not armed.
    @inlinable public mutating func cancelTimer(_ id: TimerID) {
        effects.append(.cancelTimer(id))
    }

    /// Hands the node's whole durable state to its disk.
    ///
    /// The disk syncs writes in the order made, each after a latency drawn
    /// from `DiskConditions`; once a write is synced, `onDurable(token)` is
    /// called. A crash loses every write not yet synced; a restart gets the
    /// state of the last synced write.
    ///
    /// - Returns: the token `onDurable` will report.
    @inlinable public mutating func persist(_ state: DurableState) -> PersistToken {
        let token = PersistToken(rawValue: nextPersistToken)
        nextPersistToken += 1
        effects.append(.persist(state, token: token))
        return token
    }

    /// Appends a human-readable line to the run's trace and timeline.
    @inlinable public mutating func log(_ line: String) {
        effects.append(.log(line))
    }
}

/// One effect a handler asked for.
@usableFromInline
enum NodeEffect<Message: Sendable, DurableState: Sendable> {
    case send(Message, to: NodeID)
    case setTimer(TimerID, after: SimulationDuration)
    case cancelTimer(TimerID)
    case persist(DurableState, token: PersistToken)
    case log(String)
}
