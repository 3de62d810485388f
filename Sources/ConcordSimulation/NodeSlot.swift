/// Everything the simulator keeps about one node, whether it runs or not.
struct NodeSlot<Node: SimulatedNode> {
    let id: NodeID
    /// The running node; nil while crashed.
    var node: Node?
    var isPaused = false
    /// Increases at every crash; disk writes of an earlier incarnation are lost.
    var incarnation: UInt64 = 0
    var clock = NodeClock()
    var random: SimulationRandom
    /// Armed timers and the generation each was armed with.
    var timers: [TimerID: UInt64] = [:]
    /// The state of the last synced write: what a restart gets.
    var durable: Node.DurableState?
    var nextPersistToken: UInt64 = 1
    /// No write of this node syncs before this time, so syncs stay in order.
    var lastSyncTime = SimulationInstant.zero
    /// Writes made and not yet synced.
    var unsyncedWrites = 0
    /// Events that arrived while paused, in arrival order.
    var deferred: [SimulationEvent<Node.Message, Node.DurableState>.Kind] = []

    init(id: NodeID, random: SimulationRandom) {
        self.id = id
        self.random = random
    }
}
