import ConcordSimulation

/// The register protocol's timings and limits, on each node's own clock.
enum RegisterTimings {
    /// How often a server tells the coordinator it is alive.
    static let heartbeatInterval = SimulationDuration.milliseconds(20)
    /// How often the coordinator reviews the configuration.
    static let checkInterval = SimulationDuration.milliseconds(20)
    /// After this many reviews without a heartbeat the coordinator counts a
    /// server as failed. Counted in reviews rather than read from the clock,
    /// so clock jumps cannot fake or hide a silence.
    static let silentChecksMax = 5
    /// How often an unacknowledged install or replicate is sent again.
    static let retransmitInterval = SimulationDuration.milliseconds(30)
    /// How long a client waits for a reply before giving up (an `info`).
    static let requestTimeout = SimulationDuration.milliseconds(250)
    /// The shortest and longest pause between a client's operations.
    static let thinkTimeMin = SimulationDuration.milliseconds(5)
    static let thinkTimeMax = SimulationDuration.milliseconds(40)
    /// After an operation that did not succeed, a client waits this much
    /// longer, so an unavailable store is not flooded with requests (and the
    /// history with operations of unknown outcome).
    static let backoff = SimulationDuration.milliseconds(100)
    /// The most requests a primary queues; more are refused as busy.
    static let queuedRequestsMax = 64

    static let heartbeatTimer = TimerID(1)
    static let retransmitTimer = TimerID(2)
    static let checkTimer = TimerID(3)
    static let thinkTimer = TimerID(4)
    static let timeoutTimer = TimerID(5)
}
