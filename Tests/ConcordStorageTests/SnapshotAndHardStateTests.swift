import Testing
@testable import ConcordStorage

@Suite struct SnapshotAndHardStateTests {
    @Test func hardStateSurvivesReopeningWithAndWithoutAVote() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        for state in [Storage.VoteRecord(term: 7, vote: 3, commit: 12), Storage.VoteRecord(term: 8, vote: nil, commit: 12),
                      Storage.VoteRecord(term: 9, vote: 0, commit: 0)] {
            let store = try openSimulated(fileSystem)
            try store.saveHardState(state)
            store.close()
            let reopened = try openSimulated(fileSystem)
            #expect(reopened.recovery.hardState == state)
            reopened.close()
        }
    }

    @Test func flippingAnyBitOfTheHardStateIsReportedWithItsOffset() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try openSimulated(fileSystem)
        try store.saveHardState(Storage.VoteRecord(term: 7, vote: 3, commit: 12))
        store.close()
        let path = dataDirectory + "/hardstate"
        let bytes = fileSystem.contents(of: path)!
        for bit in 0..<(bytes.count * 8) {
            var damaged = bytes
            damaged[bit / 8] ^= 1 << (bit % 8)
            fileSystem.overwrite(path, with: damaged)
            #expect(throws: Storage.StorageError.self, "bit \(bit)") { try openSimulated(fileSystem).close() }
        }
    }

    @Test func snapshotCompactsWholeSegmentsAndSupersedesTheOldOne() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try openSimulated(fileSystem)
        let entries = makeEntries(from: 1, count: 60, term: 1)
        try store.log.appendAndWait(entries)
        let segmentsBefore = try fileSystem.contentsOfDirectory(dataDirectory).filter { $0.hasPrefix("segment-") }.count
        try store.saveSnapshot(Storage.SnapshotRecord(index: 20, term: 1, data: [1]))
        try store.saveSnapshot(Storage.SnapshotRecord(index: 45, term: 1, data: [2, 2]))
        let names = try fileSystem.contentsOfDirectory(dataDirectory)
        #expect(names.filter { $0.hasSuffix(".snap") } == [Storage.DataFileName.snapshotName(index: 45, term: 1)])
        #expect(names.filter { $0.hasPrefix("segment-") }.count < segmentsBefore)
        // Whole segments only: the first one left still starts at or before 46.
        #expect(store.log.firstIndex <= 46)
        store.close()
        store = try openSimulated(fileSystem)
        defer { store.close() }
        #expect(store.recovery.snapshot == Storage.SnapshotRecord(index: 45, term: 1, data: [2, 2]))
        #expect(store.recovery.firstIndex == 46)
        #expect(try allEntries(store) == Array(entries[45...]))
    }

    @Test func snapshotThatDisagreesWithTheLogReplacesIt() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try openSimulated(fileSystem)
        try store.log.appendAndWait(makeEntries(from: 1, count: 30, term: 1))
        // Same index, another term: the leader's history wins.
        try store.saveSnapshot(Storage.SnapshotRecord(index: 25, term: 2, data: [9]))
        #expect(store.log.firstIndex == 26)
        #expect(store.log.lastIndex == 25)
        let next = makeEntries(from: 26, count: 3, term: 2)
        try store.log.appendAndWait(next)
        store.close()
        store = try openSimulated(fileSystem)
        defer { store.close() }
        #expect(try allEntries(store) == next)
    }

    @Test func recoveryDiscardsALogThatDisagreesWithTheSnapshot() throws {
        // The state a crash leaves between installing a snapshot and
        // resetting the log: the new snapshot, the old log.
        let fileSystem = Storage.SimulatedFileSystem()
        try writeLog(makeEntries(from: 1, count: 10, term: 1), to: fileSystem)
        fileSystem.overwrite(
            dataDirectory + "/" + Storage.DataFileName.snapshotName(index: 8, term: 3),
            with: Storage.SnapshotFile.encode(Storage.SnapshotRecord(index: 8, term: 3, data: [])))
        let store = try openSimulated(fileSystem)
        defer { store.close() }
        #expect(store.recovery.discardedLogForSnapshot)
        #expect(store.recovery.firstIndex == 9)
        #expect(try allEntries(store).isEmpty)
    }

    @Test func aLogThatStartsAfterTheSnapshotIsAGap() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try openSimulated(fileSystem)
        try store.log.appendAndWait(makeEntries(from: 1, count: 60, term: 1))
        try store.saveSnapshot(Storage.SnapshotRecord(index: 50, term: 1, data: []))
        store.close()
        let snapshotPath = dataDirectory + "/" + Storage.DataFileName.snapshotName(index: 50, term: 1)
        try fileSystem.remove(snapshotPath)
        do {
            store = try openSimulated(fileSystem)
            store.close()
            Issue.record("a log with its start compacted away opened without its snapshot")
        } catch let Storage.StorageError.logGap(file, expected, found) {
            #expect(file.hasPrefix(dataDirectory + "/segment-"))
            #expect(expected == 1)
            #expect(found > 1)
        }
    }

    @Test func flippingAnyBitOfASnapshotIsDetected() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try openSimulated(fileSystem)
        try store.log.appendAndWait(makeEntries(from: 1, count: 5, term: 1))
        try store.saveSnapshot(Storage.SnapshotRecord(index: 4, term: 1, data: Array("some state machine".utf8)))
        store.close()
        let path = dataDirectory + "/" + Storage.DataFileName.snapshotName(index: 4, term: 1)
        let bytes = fileSystem.contents(of: path)!
        for bit in 0..<(bytes.count * 8) {
            var damaged = bytes
            damaged[bit / 8] ^= 1 << (bit % 8)
            fileSystem.overwrite(path, with: damaged)
            #expect(throws: Storage.StorageError.self, "bit \(bit)") { try openSimulated(fileSystem).close() }
        }
        fileSystem.overwrite(path, with: Array(bytes.dropLast()))
        #expect(throws: Storage.StorageError.corruptSnapshot(file: path, offset: 32, reason: "header says 18 data bytes, file holds 17")) {
            try openSimulated(fileSystem).close()
        }
    }

    @Test func snapshotWhoseHeaderDisagreesWithItsNameIsRefused() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        try fileSystem.createDirectory(dataDirectory)
        let path = dataDirectory + "/" + Storage.DataFileName.snapshotName(index: 9, term: 1)
        fileSystem.overwrite(path, with: Storage.SnapshotFile.encode(Storage.SnapshotRecord(index: 8, term: 1, data: [])))
        #expect(throws: Storage.StorageError.corruptSnapshot(file: path, offset: 16, reason: "header says index 8 term 1, the name says index 9 term 1")) {
            try openSimulated(fileSystem).close()
        }
    }
}
