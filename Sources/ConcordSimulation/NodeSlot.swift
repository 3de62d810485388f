import ConcordFoundation

/// Everything the simulator keeps about one node, whether it runs or not.
@usableFromInline
struct NodeSlot<Node: SimulatedNode> {
    @usableFromInline let id: NodeID
    /// The running node; nil while crashed.
    @usableFromInline var node: Node?
    @usableFromInline var isPaused = false
    /// Increases at every crash; disk writes of an earlier incarnation are lost.
    @usableFromInline var incarnation: UInt64 = 0
    @usableFromInline var clock = NodeClock()
    @usableFromInline var random: SeededRandom
    /// Armed timers and the generation each was armed with.
    @usableFromInline var timers: [TimerID: UInt64] = [:]
    /// The state of the last synced write: what a restart gets.
    @usableFromInline var durable: Node.DurableState?
    @usableFromInline var nextPersistToken: UInt64 = 1
    /// No write of this node syncs before this time, so syncs stay in order.
    @usableFromInline var lastSyncTime = SimulationInstant.zero
    /// Writes made and not yet synced.
    @usableFromInline var unsyncedWrites = 0
    /// Events that arrived while paused, in arrival order.
    @usableFromInline var deferred: [SimulationEvent<Node.Message, Node.DurableState>.Kind] = []

    @inlinable
    init(id: NodeID, random: SeededRandom) {
        self.id = id
        self.random = random
    }
}
