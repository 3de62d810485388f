import ConcordFoundation
import ConcordRaft
import Testing
@testable import ConcordStorage

/// A real `RaftNode` persisting through `Storage.RaftLogStore`: after a
/// restart (and a power cut) it continues exactly where its durable state
/// says.
@Suite struct RaftReplicaRestartTests {
    /// Drives one replica of a single-voter group: every persist request is
    /// written to the store, then reported with `onPersisted`.
    struct Driver {
        var node: RaftNode
        var store: Storage.RaftLogStore
        var applied: [LogEntry] = []
        var isLeader = false

        init(store: Storage.RaftLogStore, seed: UInt64) throws {
            self.store = store
            node = RaftNode(configuration: RaftConfiguration(id: 1), restoring: try store.load(), random: SplitMix64(seed: seed))
        }

        mutating func drive(_ output: RaftOutput) throws {
            var pending = [output]
            while !pending.isEmpty {
                let next = pending.removeFirst()
                applied += next.committedEntries
                if let change = next.roleChange { isLeader = change.role == .leader }
                if let request = next.persist {
                    try store.persist(request)
                    pending.append(node.onPersisted(upTo: request.sequence))
                }
            }
        }

        mutating func becomeLeader() throws {
            try drive(node.campaign())
            var ticks = 0
            while !isLeader {
                try drive(node.tick())
                ticks += 1
                precondition(ticks < 1000, "a single voter must win its election")
            }
        }

        mutating func propose(_ commands: [String]) throws {
            for command in commands { try drive(node.propose(Array(command.utf8))) }
        }
    }

    static func open(_ fileSystem: Storage.SimulatedFileSystem) throws -> Storage.RaftLogStore {
        try Storage.RaftLogStore.open(
            directory: dataDirectory, bootstrap: .bootstrap(ConfigurationState(voters: [1])),
            fileSystem: fileSystem, configuration: smallConfiguration)
    }

    @Test func aReplicaRestartsFromItsDurableStateAfterAPowerCut() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var driver = try Driver(store: Self.open(fileSystem), seed: 1)
        try driver.becomeLeader()
        try driver.propose((1...40).map { "set k\($0) \($0)" })
        let committedBefore = driver.node.commitIndex
        let lastBefore = driver.node.lastIndex
        let termBefore = driver.node.hardState.term
        #expect(committedBefore == lastBefore)
        let appliedCommands = driver.applied.filter { $0.kind == .normal && !$0.data.isEmpty }.map { String(decoding: $0.data, as: UTF8.self) }
        #expect(appliedCommands == (1...40).map { "set k\($0) \($0)" })

        // Snapshot the state machine at the applied index, then keep going.
        try driver.drive(driver.node.compact(upTo: driver.node.appliedIndex, snapshotData: Array("kv@\(driver.node.appliedIndex)".utf8)))
        let snapshotIndex = driver.node.snapshotIndex
        try driver.propose((41...50).map { "set k\($0) \($0)" })
        let durable = try driver.store.load()

        var generator = SplitMix64(seed: 9)
        fileSystem.crash(using: &generator)
        driver.store.close()

        let store = try Self.open(fileSystem)
        #expect(try store.load() == durable)
        var restarted = try Driver(store: store, seed: 2)
        #expect(restarted.node.snapshotIndex == snapshotIndex)
        #expect(restarted.node.lastIndex == durable.lastIndex)
        #expect(restarted.node.commitIndex == durable.hardState.commit)
        #expect(restarted.node.hardState.term == termBefore)
        #expect(durable.snapshot.data == Array("kv@\(snapshotIndex)".utf8))
        // Entries after the snapshot are handed out again to rebuild the
        // state machine, and the replica leads again in a later term.
        try restarted.becomeLeader()
        try restarted.propose(["set k51 51"])
        let replayed = restarted.applied.filter { $0.kind == .normal && !$0.data.isEmpty }.map { String(decoding: $0.data, as: UTF8.self) }
        #expect(replayed == (41...51).map { "set k\($0) \($0)" })
        #expect(restarted.node.hardState.term > termBefore)
        restarted.store.close()
    }
}
