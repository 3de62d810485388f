/// How the simulated network treats every message: its latency and the rates
/// of loss, duplication and reordering. Rates are in parts per million.
public struct NetworkConditions: Sendable, Hashable, CustomStringConvertible {
    /// The shortest one-way latency.
    public var latencyMin: SimulationDuration
    /// The longest one-way latency (before any reordering delay). Latencies
    /// are drawn uniformly between `latencyMin` and `latencyMax`.
    public var latencyMax: SimulationDuration
    /// The chance that a message is lost.
    public var lossPerMillion: UInt32
    /// The chance that a message is delivered twice (each copy with its own
    /// latency).
    public var duplicationPerMillion: UInt32
    /// The chance that a message is held back by an extra delay of between
    /// one and two `latencyMax`, so that later messages on its link overtake it.
    public var reorderPerMillion: UInt32

    /// A fast, reliable network by default: 1–5 ms, nothing lost, duplicated
    /// or reordered beyond what the latency spread does.
    public init(
        latencyMin: SimulationDuration = .milliseconds(1),
        latencyMax: SimulationDuration = .milliseconds(5),
        lossPerMillion: UInt32 = 0,
        duplicationPerMillion: UInt32 = 0,
        reorderPerMillion: UInt32 = 0
    ) {
        precondition(latencyMin.nanoseconds >= 0 && latencyMin <= latencyMax, "need 0 <= latencyMin <= latencyMax")
        self.latencyMin = latencyMin
        self.latencyMax = latencyMax
        self.lossPerMillion = lossPerMillion
        self.duplicationPerMillion = duplicationPerMillion
        self.reorderPerMillion = reorderPerMillion
    }

    public var description: String {
        "latency \(latencyMin)-\(latencyMax)s loss \(lossPerMillion)ppm dup \(duplicationPerMillion)ppm reorder \(reorderPerMillion)ppm"
    }
}

/// How each node's simulated disk behaves.
public struct DiskConditions: Sendable, Hashable {
    /// The shortest time from a `persist` to its sync.
    public var syncLatencyMin: SimulationDuration
    /// The longest time from a `persist` to its sync. Syncs complete in the
    /// order of the writes, so a write never becomes durable before an
    /// earlier one of the same node.
    public var syncLatencyMax: SimulationDuration

    /// A fast disk by default: syncs take 100 µs to 2 ms.
    public init(syncLatencyMin: SimulationDuration = .microseconds(100), syncLatencyMax: SimulationDuration = .milliseconds(2)) {
        precondition(syncLatencyMin.nanoseconds >= 0 && syncLatencyMin <= syncLatencyMax, "need 0 <= syncLatencyMin <= syncLatencyMax")
        self.syncLatencyMin = syncLatencyMin
        self.syncLatencyMax = syncLatencyMax
    }
}
