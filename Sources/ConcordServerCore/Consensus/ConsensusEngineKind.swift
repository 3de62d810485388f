import ConcordFoundation
import ConcordPaxos
import ConcordRaft

/// Which replication engine a member runs. Every member of a cluster runs
/// the same one, and a data directory is bound to the engine that wrote it.
public enum ConsensusEngineKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Raft (`RaftNode`): leader election by votes, membership changes.
    case raft
    /// Multi-Paxos (`MultiPaxosNode`): a fixed group of replicas.
    case multiPaxos = "multi-paxos"

    public var description: String { rawValue }
}

extension ServerCoreConfiguration {
    /// Multi-Paxos's settings, from the ones it shares with Raft (`raft`);
    /// the replica ids are set by `MultiPaxosEngine`.
    public var multiPaxosSettings: MultiPaxosConfiguration {
        var settings = MultiPaxosConfiguration(id: 1, replicas: [1])
        settings.electionTimeoutTicks = raft.electionTimeoutTicks
        settings.heartbeatIntervalTicks = raft.heartbeatIntervalTicks
        settings.checkQuorum = raft.checkQuorum
        settings.entriesPerMessageMax = raft.entriesPerMessageMax
        settings.bytesPerMessageMax = raft.bytesPerMessageMax
        settings.inflightMessagesMax = raft.inflightMessagesMax
        settings.proposalBytesMax = raft.proposalBytesMax
        settings.uncommittedBytesMax = raft.uncommittedBytesMax
        settings.applyBytesPerOutputMax = raft.applyBytesPerOutputMax
        settings.snapshotChunkBytesMax = raft.snapshotChunkBytesMax
        settings.forwardsProposals = raft.proposalForwarding == .forwardToLeader
        settings.clockDriftBoundTicks = raft.clockDriftBoundTicks
        return settings
    }

    /// Opens the configured engine from the write-ahead log's durable state.
    /// Raft reads and writes snapshot chunks through `snapshotFiles`.
    func makeEngine(
        restoring durable: RaftDurableState, random: SplitMix64, snapshotFiles: (any SnapshotFiles)?
    ) throws(ServerCoreError) -> any ConsensusEngine {
        var raftSettings = raft
        // A proposal is a client request inside a log payload.
        raftSettings.proposalBytesMax = max(raftSettings.proposalBytesMax, requestBytesMax + LogPayload.headerBytes)
        switch consensus {
        case .raft:
            return RaftEngine(configuration: raftSettings, restoring: durable, random: random, snapshotFiles: snapshotFiles)
        case .multiPaxos:
            var settings = multiPaxosSettings
            settings.proposalBytesMax = raftSettings.proposalBytesMax
            do throws(MultiPaxosEngine.OpeningError) {
                return try MultiPaxosEngine(settings: settings, memberID: memberID, restoring: durable, random: random)
            } catch {
                throw .invalidConfiguration("\(error)")
            }
        }
    }
}
