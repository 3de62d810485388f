import ConcordFoundation
import ConcordPaxos
import ConcordRaft
import ConcordServerCore
import ConcordStorage
import Testing

/// `MultiPaxosEngine` on the real write-ahead log: a snapshot never makes
/// the store discard slots the acceptor accepted after it.
@Suite struct MultiPaxosSnapshotStoreTests {
    static let membership = ConfigurationState(voters: [1, 2, 3])
    static let configuration = Storage.LogConfiguration(segmentBytes: 16 * 1024, recordPayloadBytesMax: 256, batchBytesMax: 16 * 1024)
    static let leaderBallot = Ballot(round: 1, replica: 1)

    static func open(_ fileSystem: Storage.SimulatedFileSystem) throws -> Storage.RaftLogStore {
        try Storage.RaftLogStore.open(
            directory: "/data", bootstrap: .bootstrap(membership), fileSystem: fileSystem, configuration: configuration)
    }

    /// A slot as the engine stores it.
    static func stored(_ slot: MultiPaxosLogEntry) -> LogEntry {
        LogEntry(index: slot.slot, term: slot.ballot.rawValue, kind: .normal, data: slot.storedData)
    }

    /// Member 2 accepted slots 2–9 of the leader's ballot except slot 5 (a
    /// hole: that accept was lost) and knows slots up to 4 chosen. The
    /// leader then sends it a snapshot at slot 7: the follower keeps slots 8
    /// and 9, and the persist request writes them again after the snapshot.
    /// The store must keep them across the snapshot itself: a crash between
    /// saving the snapshot and writing the request's entries must not lose
    /// what the acceptor accepted (docs/paxos.md). Before the engine gave an
    /// installed snapshot the term the store held at its index, it gave it
    /// term 0, and the store discarded the whole log.
    @Test func anInstalledSnapshotKeepsTheAcceptedSlotsAfterItInTheStore() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try Self.open(fileSystem)
        let accepted: [MultiPaxosLogEntry] = (2...9).map { slot in
            slot == 5
                ? MultiPaxosLogEntry.vacant(slot)
                : MultiPaxosLogEntry(slot: slot, ballot: Self.leaderBallot, kind: .command, data: [UInt8(slot)])
        }
        try store.append(accepted.map(Self.stored))
        try store.saveHardState(HardState(term: Self.leaderBallot.rawValue, vote: nil, commit: 4))
        let durable = try store.load()
        #expect(durable.entries.map(\.index) == Array(2...9))

        var settings = MultiPaxosConfiguration(id: 1, replicas: [1])
        settings.checkQuorum = false
        var engine = try MultiPaxosEngine(settings: settings, memberID: 2, restoring: durable, random: SplitMix64(seed: 7))
        let chunk = MultiPaxosMessage(
            from: 1, to: 2, ballot: Self.leaderBallot,
            body: .snapshotChunk(.init(index: 7, offset: 0, data: [1, 2, 3], isLast: true)))
        let output = engine.step(.multiPaxos(chunk))
        let persist = try #require(output.persist)
        let snapshot = try #require(persist.snapshot)
        #expect(snapshot.metadata.index == 7)
        #expect(snapshot.metadata.term == Self.leaderBallot.rawValue, "the store holds slot 7 in the leader's ballot")

        // A crash right after the snapshot is saved, before the request's
        // entries are written again.
        try store.saveSnapshot(snapshot)
        store.close()
        let reopened = try Self.open(fileSystem)
        defer { reopened.close() }
        let recovered = try reopened.load()
        #expect(recovered.snapshot.metadata.index == 7)
        #expect(recovered.entries.map(\.index) == [8, 9])
        #expect(recovered.entries.map(\.term) == [Self.leaderBallot.rawValue, Self.leaderBallot.rawValue])
    }
}
