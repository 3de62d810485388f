import ConcordRaft
import Testing
@testable import ConcordStorage

/// `Storage.RaftLogStore` as a node's `SnapshotFiles`: chunks read from the
/// snapshot file, a received snapshot gathered in the incoming file, and
/// no snapshot bytes kept once recovery's are handed out.
@Suite struct SnapshotFilesTests {
    static let membership = ConfigurationState(voters: [1, 2, 3], learners: [7])

    static func snapshot(index: UInt64, bytes: Int) -> RaftSnapshot {
        RaftSnapshot(
            metadata: SnapshotMetadata(index: index, term: 2, configuration: membership),
            data: (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(index)) })
    }

    static func open(_ fileSystem: any Storage.FileSystem, directory: String = dataDirectory) throws -> Storage.RaftLogStore {
        try Storage.RaftLogStore.open(
            directory: directory, bootstrap: .bootstrap(membership), fileSystem: fileSystem, configuration: smallConfiguration)
    }

    /// Reads the whole snapshot in chunks of `chunkBytes`, as a leader does.
    static func readInChunks(_ store: Storage.RaftLogStore, _ metadata: SnapshotMetadata, size: Int, chunkBytes: Int) -> [[UInt8]?] {
        stride(from: 0, to: size, by: chunkBytes).map { offset in
            store.readSnapshot(metadata, offset: offset, count: min(chunkBytes, size - offset))
        }
    }

    @Test func aChunkReadFromTheSnapshotFileEqualsTheBytesSaved() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try Self.open(fileSystem)
        defer { store.close() }
        let saved = Self.snapshot(index: 1000, bytes: 10_000)
        try store.saveSnapshot(saved)
        let chunks = Self.readInChunks(store, saved.metadata, size: saved.data.count, chunkBytes: 999)
        #expect(chunks.allSatisfy { $0 != nil })
        #expect(chunks.compactMap { $0 }.flatMap { $0 } == saved.data)
        #expect(store.readSnapshot(saved.metadata, offset: 9_990, count: 10) == Array(saved.data[9_990...]))
        #expect(store.readSnapshot(saved.metadata, offset: 0, count: 0) == [])
    }

    @Test func aSnapshotThatIsNoLongerTheLatestCannotBeRead() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try Self.open(fileSystem)
        defer { store.close() }
        let older = Self.snapshot(index: 10, bytes: 100)
        try store.saveSnapshot(older)
        let newer = Self.snapshot(index: 20, bytes: 100)
        try store.saveSnapshot(newer)
        #expect(store.readSnapshot(older.metadata, offset: 0, count: 10) == nil)
        #expect(store.readSnapshot(newer.metadata, offset: 0, count: 10) == Array(newer.data[0..<10]))
        var other = newer.metadata
        other.term += 1
        #expect(store.readSnapshot(other, offset: 0, count: 10) == nil, "same index, another term")
    }

    @Test func recoveryHandsTheSnapshotOutOnceAndKeepsNoneOfItsBytes() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try Self.open(fileSystem)
        let saved = Self.snapshot(index: 40, bytes: 5_000)
        try store.saveSnapshot(saved)
        store.close()
        fileSystem.makeEverythingDurable()
        store = try Self.open(fileSystem)
        defer { store.close() }
        #expect(store.store.recovery.snapshot?.index == 40)
        #expect(store.store.recovery.snapshot?.data == [], "recovery's copy is released")
        #expect(try store.load().snapshot == saved)
        #expect(try store.load().snapshot == saved, "a second load reads the file again")
        #expect(store.readSnapshot(saved.metadata, offset: 4_000, count: 1_000) == Array(saved.data[4_000...]))
    }

    @Test func receivedChunksAreGatheredInTheIncomingFileAndRemovedByRecovery() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try Self.open(fileSystem)
        let incoming = Self.snapshot(index: 70, bytes: 1_000)
        for offset in stride(from: 0, to: 1_000, by: 300) {
            #expect(store.writeIncomingSnapshot(incoming.metadata, offset: offset, Array(incoming.data[offset..<min(1_000, offset + 300)])))
        }
        #expect(!store.writeIncomingSnapshot(incoming.metadata, offset: 2_000, [1]), "a chunk that does not follow is refused")
        #expect(store.readIncomingSnapshot(incoming.metadata) == incoming.data, "and changes nothing")
        var other = incoming.metadata
        other.index += 1
        #expect(store.readIncomingSnapshot(other) == nil, "another snapshot's chunks are not handed out")
        #expect(store.writeIncomingSnapshot(incoming.metadata, offset: 0, [1, 2]))
        #expect(store.writeIncomingSnapshot(incoming.metadata, offset: 0, [5, 6]))
        #expect(!store.writeIncomingSnapshot(other, offset: 2, [7]), "a chunk of another snapshot does not follow")
        #expect(store.writeIncomingSnapshot(incoming.metadata, offset: 2, [7]))
        #expect(store.readIncomingSnapshot(incoming.metadata) == [5, 6, 7], "offset 0 starts over")
        store.close()
        fileSystem.makeEverythingDurable()
        store = try Self.open(fileSystem)
        defer { store.close() }
        #expect(store.store.recovery.removedFiles == [Storage.DataFileName.incomingSnapshotName])
        #expect(store.readIncomingSnapshot(incoming.metadata) == nil)
    }

    @Test func onRealFilesAChunkReadEqualsTheBytesSavedAcrossARestart() throws {
        try withTemporaryDirectory { directory in
            let saved = Self.snapshot(index: 300, bytes: 300_000)
            var store = try Self.open(Storage.PosixFileSystem(), directory: directory)
            try store.saveSnapshot(saved)
            let before = Self.readInChunks(store, saved.metadata, size: saved.data.count, chunkBytes: 65_536)
            store.close()
            store = try Self.open(Storage.PosixFileSystem(), directory: directory)
            defer { store.close() }
            let after = Self.readInChunks(store, saved.metadata, size: saved.data.count, chunkBytes: 65_536)
            #expect(before.compactMap { $0 }.flatMap { $0 } == saved.data)
            #expect(after.compactMap { $0 }.flatMap { $0 } == saved.data)
        }
    }

    /// Receives `snapshot` in chunks of `chunkBytes` and reads it back, as
    /// a follower's node does before installing it.
    static func receive(_ snapshot: RaftSnapshot, into store: Storage.RaftLogStore, chunkBytes: Int) -> [UInt8]? {
        for offset in stride(from: 0, to: snapshot.data.count, by: chunkBytes) {
            let chunk = Array(snapshot.data[offset..<min(snapshot.data.count, offset + chunkBytes)])
            guard store.writeIncomingSnapshot(snapshot.metadata, offset: offset, chunk) else { return nil }
        }
        return store.readIncomingSnapshot(snapshot.metadata)
    }

    static func names(_ fileSystem: any Storage.FileSystem, _ directory: String = dataDirectory) throws -> Set<String> {
        Set(try fileSystem.contentsOfDirectory(directory))
    }

    @Test func aReceivedSnapshotIsRenamedIntoPlaceAndRecoveredAsTheLeaderSentIt() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try Self.open(fileSystem)
        let sent = Self.snapshot(index: 500, bytes: 10_000)
        let readBack = Self.receive(sent, into: store, chunkBytes: 3_000)
        #expect(readBack == sent.data)
        try store.saveSnapshot(RaftSnapshot(metadata: sent.metadata, data: readBack ?? []))
        let snapshotName = Storage.DataFileName.snapshotName(index: 500, term: 2)
        let names = try Self.names(fileSystem)
        #expect(!names.contains(Storage.DataFileName.incomingSnapshotName), "the incoming file became the snapshot")
        #expect(names.contains(snapshotName))
        #expect(!names.contains { $0.hasSuffix(".tmp") })
        #expect(Self.readInChunks(store, sent.metadata, size: 10_000, chunkBytes: 4_096).compactMap { $0 }.flatMap { $0 } == sent.data)
        #expect(try store.load().snapshot == sent, "read from the renamed file, configuration included")
        store.close()
        fileSystem.crashLosingEverythingUnsynced()
        store = try Self.open(fileSystem)
        defer { store.close() }
        #expect(store.store.recovery.removedFiles == [], "nothing left over")
        #expect(store.store.recovery.snapshot?.index == 500)
        #expect(try store.load().snapshot == sent, "a restart recovers it whole, with its checksum")
        #expect(try Self.names(fileSystem).filter { $0.hasPrefix("snapshot-") } == [snapshotName])
    }

    @Test func aChunkStoredAfterTheReadBackMakesTheSnapshotBeWrittenFromMemory() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try Self.open(fileSystem)
        defer { store.close() }
        let first = Self.snapshot(index: 500, bytes: 2_000)
        let readBack = Self.receive(first, into: store, chunkBytes: 700)
        #expect(readBack == first.data)
        // A newer transfer starts before the first snapshot's persist runs.
        let second = Self.snapshot(index: 900, bytes: 1_000)
        #expect(store.writeIncomingSnapshot(second.metadata, offset: 0, Array(second.data[0..<400])))
        try store.saveSnapshot(RaftSnapshot(metadata: first.metadata, data: readBack ?? []))
        #expect(try store.load().snapshot == first)
        #expect(try Self.names(fileSystem).contains(Storage.DataFileName.incomingSnapshotName), "the newer transfer's file stays")
        #expect(store.writeIncomingSnapshot(second.metadata, offset: 400, Array(second.data[400...])))
        #expect(store.readIncomingSnapshot(second.metadata) == second.data)
        try store.saveSnapshot(second)
        #expect(try store.load().snapshot == second)
        #expect(!(try Self.names(fileSystem).contains(Storage.DataFileName.incomingSnapshotName)))
    }

    @Test func aReadBackSnapshotThatIsNotPersistedIsRemovedByTheNextSnapshot() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try Self.open(fileSystem)
        defer { store.close() }
        let received = Self.snapshot(index: 500, bytes: 2_000)
        #expect(Self.receive(received, into: store, chunkBytes: 700) == received.data)
        // The log held the snapshot's last entry: the node keeps its log
        // and takes its own snapshot later instead.
        let own = Self.snapshot(index: 600, bytes: 1_500)
        try store.saveSnapshot(own)
        #expect(try store.load().snapshot == own)
        #expect(!(try Self.names(fileSystem).contains(Storage.DataFileName.incomingSnapshotName)))
    }

    @Test func aSnapshotWithOtherBytesThanTheReadBackIsWrittenFromThem() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try Self.open(fileSystem)
        defer { store.close() }
        let received = Self.snapshot(index: 500, bytes: 2_000)
        #expect(Self.receive(received, into: store, chunkBytes: 700) == received.data)
        var shorter = received
        shorter.data.removeLast()
        try store.saveSnapshot(shorter)
        #expect(try store.load().snapshot == shorter)
        #expect(!(try Self.names(fileSystem).contains(Storage.DataFileName.incomingSnapshotName)))
    }

    @Test func onRealFilesAReceivedSnapshotSurvivesARestartAndAnAbandonedOneIsRemoved() throws {
        try withTemporaryDirectory { directory in
            let sent = Self.snapshot(index: 300, bytes: 300_000)
            var store = try Self.open(Storage.PosixFileSystem(), directory: directory)
            let readBack = Self.receive(sent, into: store, chunkBytes: 65_536)
            #expect(readBack == sent.data)
            try store.saveSnapshot(RaftSnapshot(metadata: sent.metadata, data: readBack ?? []))
            // A newer transfer is abandoned by a crash halfway.
            let abandoned = Self.snapshot(index: 400, bytes: 300_000)
            #expect(store.writeIncomingSnapshot(abandoned.metadata, offset: 0, Array(abandoned.data[0..<65_536])))
            store.close()
            store = try Self.open(Storage.PosixFileSystem(), directory: directory)
            defer { store.close() }
            #expect(store.store.recovery.removedFiles == [Storage.DataFileName.incomingSnapshotName])
            #expect(!(try Self.names(Storage.PosixFileSystem(), directory).contains(Storage.DataFileName.incomingSnapshotName)))
            #expect(try store.load().snapshot == sent)
            #expect(store.readIncomingSnapshot(abandoned.metadata) == nil)
        }
    }
}
