import ConcordRaft
import ConcordSimulation

/// The parameters of one run of the Raft key-value lab, all derived from
/// the run's seed.
struct RaftLabSettings: Sendable {
    /// The server ids (also their replica ids).
    var servers: [NodeID]
    /// The client ids.
    var clients: [NodeID]
    /// The virtual time between two ticks of a server.
    var tickInterval = SimulationDuration.milliseconds(10)
    /// How long a server gathers proposals before proposing them together.
    var batchDelay = SimulationDuration.microseconds(500)
    /// A server snapshots its state machine after this many applied entries.
    var compactionEntries: UInt64 = 48
    /// The Raft settings shared by every server (the id is set per server).
    var raft: RaftConfiguration
    /// How long a client waits for an answer before trying another server.
    var requestTimeout = SimulationDuration.milliseconds(150)
    /// How long a client waits after a "not leader" answer before retrying.
    var retryBackoff = SimulationDuration.milliseconds(5)
    /// The longest pause between two operations of a client.
    var thinkTimeMax = SimulationDuration.milliseconds(10)
    /// The keys clients use (few, so that operations contend).
    var keys: [String] = ["k0", "k1", "k2"]
    /// Clients issue no new operation after this instant of true time.
    var clientsStopAt: SimulationInstant

    func raftConfiguration(for server: NodeID) -> RaftConfiguration {
        var configuration = raft
        configuration.id = ReplicaID(server)
        return configuration
    }
}
