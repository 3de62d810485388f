import ConcordSimulation

/// The parameters of one run of a Paxos-family key-value lab that do not
/// belong to a core: who the servers and clients are, how often servers
/// tick and batch, what clients do. Each scenario derives them (and its
/// core's settings) from the run's seed.
struct PaxosLabSettings: Sendable {
    /// The server ids (also their replica ids).
    var servers: [NodeID]
    /// The client ids.
    var clients: [NodeID]
    /// The virtual time between two ticks of a server.
    var tickInterval = SimulationDuration.milliseconds(10)
    /// How long a server gathers writes before proposing them together.
    var batchDelay = SimulationDuration.microseconds(500)
    /// A Multi-Paxos server snapshots its state machine after this many
    /// applied slots.
    var compactionEntries: UInt64 = 48
    /// How long a client waits for an answer before trying again.
    var requestTimeout = SimulationDuration.milliseconds(50)
    /// How long a client waits after a "not leader" answer before retrying.
    var retryBackoff = SimulationDuration.milliseconds(5)
    /// The longest pause between two operations of a client.
    var thinkTimeMax = SimulationDuration.milliseconds(3)
    /// The keys clients use (few, so that operations contend).
    var keys: [String] = ["k0", "k1"]
    /// Clients issue no new operation after this instant of true time.
    var clientsStopAt: SimulationInstant
    /// True when clients send each request to every server (Fast Paxos's
    /// fast rounds); false when to one server at a time.
    var clientsBroadcast = false
}
