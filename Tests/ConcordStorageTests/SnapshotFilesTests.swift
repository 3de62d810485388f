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
        #expect(store.readIncomingSnapshot(incoming.metadata) == nil, "read back once, then removed")
        #expect(store.writeIncomingSnapshot(incoming.metadata, offset: 0, [1, 2]))
        #expect(store.writeIncomingSnapshot(incoming.metadata, offset: 0, [5, 6]))
        #expect(store.writeIncomingSnapshot(incoming.metadata, offset: 2, [7]))
        #expect(try store.store.readIncomingSnapshot() == [5, 6, 7], "offset 0 starts over")
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
}
