import Foundation
import Testing
@testable import ConcordStorage

#if canImport(Glibc)
import Glibc
#endif

@Suite struct FaultTests {
    static func code(of error: Error) -> Int32? {
        if case let .fileSystem(_, _, code) = error as? Storage.StorageError { return code }
        return nil
    }

    @Test func fullDiskFailsAppendsWithENOSPCAndLosesNothingAcknowledged() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try openSimulated(fileSystem)
        fileSystem.spaceLimitBytes = 3 * 1024 + 200
        var acknowledged: [Storage.LogRecord] = []
        var attempted: [Storage.LogRecord] = []
        var failure: Error?
        for batch in 0..<40 {
            let entries = makeEntries(from: UInt64(attempted.count) + 1, count: 3, term: 1, seed: UInt64(batch))
            attempted += entries
            do {
                try store.log.appendAndWait(entries)
                acknowledged += entries
            } catch {
                failure = error
                break
            }
        }
        #expect(Self.code(of: try #require(failure)) == ENOSPC)
        #expect("\(failure!)".contains("No space left on device (ENOSPC)"))
        // The log refuses further work rather than guess what reached the disk.
        #expect(throws: Storage.StorageError.self) { try store.log.appendAndWait(makeEntries(from: 1000, count: 1, term: 1)) }
        store.close()
        // No half-created segment is left behind.
        #expect(try fileSystem.contentsOfDirectory(dataDirectory).allSatisfy { !$0.hasSuffix(".tmp") })

        fileSystem.spaceLimitBytes = nil
        store = try openSimulated(fileSystem)
        defer { store.close() }
        let recovered = try allEntries(store)
        #expect(acknowledged.isPrefix(of: recovered))
        #expect(recovered.isPrefix(of: attempted))
        let next = makeEntries(from: UInt64(recovered.count) + 1, count: 5, term: 2)
        try store.log.appendAndWait(next)
        #expect(try allEntries(store) == recovered + next)
    }

    @Test func fullDiskFailsSnapshotAndHardStateWithoutDamage() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try openSimulated(fileSystem)
        let entries = makeEntries(from: 1, count: 6, term: 2)
        try store.log.appendAndWait(entries)
        let hardState = Storage.VoteRecord(term: 2, vote: 1, commit: 4)
        try store.saveHardState(hardState)
        let snapshot = Storage.SnapshotRecord(index: 3, term: 2, data: [1, 2, 3])
        try store.saveSnapshot(snapshot)
        let used = try fileSystem.contentsOfDirectory(dataDirectory).reduce(0) { $0 + (fileSystem.contents(of: dataDirectory + "/" + $1)?.count ?? 0) }
        fileSystem.spaceLimitBytes = used + 20
        #expect(throws: Storage.StorageError.self) { try store.saveSnapshot(Storage.SnapshotRecord(index: 5, term: 2, data: Array(repeating: 7, count: 100))) }
        #expect(throws: Storage.StorageError.self) { try store.saveHardState(Storage.VoteRecord(term: 3, vote: nil, commit: 5)) }
        store.close()
        fileSystem.spaceLimitBytes = nil
        store = try openSimulated(fileSystem)
        defer { store.close() }
        #expect(store.recovery.snapshot == snapshot)
        #expect(store.recovery.hardState == hardState)
        #expect(try allEntries(store) == Array(entries[3...]))
        #expect(store.recovery.removedFiles.isEmpty)
    }

    @Test func readOnlyFileSystemGivesEROFSAndChangesNothing() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try openSimulated(fileSystem)
        let entries = makeEntries(from: 1, count: 20, term: 1)
        try store.log.appendAndWait(entries)
        try store.saveHardState(Storage.VoteRecord(term: 1, vote: 2, commit: 10))
        store.close()
        let before = try fileSystem.contentsOfDirectory(dataDirectory).sorted().map { fileSystem.contents(of: dataDirectory + "/" + $0)! }

        fileSystem.isReadOnly = true
        // Opening succeeds (recovery had nothing to repair); every change fails.
        store = try openSimulated(fileSystem)
        do {
            try store.log.appendAndWait(makeEntries(from: 21, count: 1, term: 1))
            Issue.record("append on a read-only file system succeeded")
        } catch {
            #expect(Self.code(of: error) == EROFS)
            #expect("\(error)".contains("(EROFS)"))
        }
        #expect(throws: Storage.StorageError.self) { try store.saveHardState(Storage.VoteRecord(term: 2, vote: nil, commit: 10)) }
        #expect(throws: Storage.StorageError.self) { try store.saveSnapshot(Storage.SnapshotRecord(index: 5, term: 1, data: [])) }
        store.close()
        // A fresh directory cannot even be created.
        #expect(throws: Storage.StorageError.fileSystem(operation: "create directory", path: "/other", code: EROFS)) {
            _ = try Storage.NodeStore.open(directory: "/other", fileSystem: fileSystem, configuration: smallConfiguration)
        }

        fileSystem.isReadOnly = false
        let after = try fileSystem.contentsOfDirectory(dataDirectory).sorted().map { fileSystem.contents(of: dataDirectory + "/" + $0)! }
        #expect(before == after)
        store = try openSimulated(fileSystem)
        defer { store.close() }
        #expect(try allEntries(store) == entries)
    }

    @Test func realReadOnlyDirectoryGivesAClearError() throws {
        try withTemporaryDirectory { root in
            // A path below a regular file can never be a directory.
            let blocker = root + "/file"
            #expect(FileManager.default.createFile(atPath: blocker, contents: Data([1])))
            #expect(throws: Storage.StorageError.fileSystem(operation: "create directory", path: blocker + "/data", code: ENOTDIR)) {
                _ = try Storage.NodeStore.open(directory: blocker + "/data")
            }
            // Permission bits bind only unprivileged users.
            guard geteuid() != 0 else { return }
            let directory = root + "/data"
            let store = try Storage.NodeStore.open(directory: directory)
            try store.log.appendAndWait(makeEntries(from: 1, count: 3, term: 1))
            store.close()
            chmod(directory, 0o555)
            defer { chmod(directory, 0o755) }
            let reopened = try Storage.NodeStore.open(directory: directory)
            defer { reopened.close() }
            #expect(throws: Storage.StorageError.self) { try reopened.saveHardState(Storage.VoteRecord(term: 1, vote: nil, commit: 0)) }
        }
    }

    @Test func failedSyncStopsTheLogUntilReopened() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try openSimulated(fileSystem)
        let first = makeEntries(from: 1, count: 4, term: 1)
        try store.log.appendAndWait(first)
        fileSystem.failNextSync(code: EIO)
        #expect(throws: Storage.StorageError.fileSystem(operation: "fdatasync", path: segmentPath(1), code: EIO)) {
            try store.log.appendAndWait(makeEntries(from: 5, count: 2, term: 1))
        }
        do {
            try store.log.appendAndWait(makeEntries(from: 7, count: 1, term: 1))
            Issue.record("the log accepted an append after a failed sync")
        } catch let error as Storage.StorageError {
            guard case .logFailed = error else { Issue.record("unexpected \(error)"); return }
        }
        store.close()
        fileSystem.crashLosingEverythingUnsynced()
        store = try openSimulated(fileSystem)
        defer { store.close() }
        #expect(try allEntries(store) == first)
    }

    @Test func appendsOutOfOrderOrTooLargeAreRefusedAndChangeNothing() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try openSimulated(fileSystem)
        defer { store.close() }
        let entries = makeEntries(from: 1, count: 3, term: 1)
        try store.log.appendAndWait(entries)
        #expect(throws: Storage.StorageError.nonContiguousAppend(expectedIndex: 4, foundIndex: 6)) {
            try store.log.appendAndWait(makeEntries(from: 6, count: 1, term: 1))
        }
        #expect(throws: Storage.StorageError.recordTooLarge(payloadBytes: 201, limitBytes: 200)) {
            try store.log.appendAndWait([Storage.LogRecord(index: 4, term: 1, payload: Array(repeating: 0, count: 201))])
        }
        #expect(throws: Storage.StorageError.indexOutOfRange(index: 9, firstIndex: 1, lastIndex: 3)) {
            try store.log.truncateAndWait(from: 9)
        }
        #expect(throws: Storage.StorageError.indexOutOfRange(index: 5, firstIndex: 1, lastIndex: 3)) {
            _ = try store.log.entries(in: 2..<5)
        }
        try store.saveSnapshot(Storage.SnapshotRecord(index: 2, term: 1, data: []))
        #expect(throws: Storage.StorageError.invalidArgument("snapshot at index 2 is not newer than the current one at 2")) {
            try store.saveSnapshot(Storage.SnapshotRecord(index: 2, term: 1, data: []))
        }
        try store.log.appendAndWait(makeEntries(from: 4, count: 1, term: 1))
        #expect(store.log.lastIndex == 4)
    }

    @Test func foreignFileInTheDataDirectoryStopsOpeningAndIsLeftAlone() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        try writeLog(makeEntries(from: 1, count: 5, term: 1), to: fileSystem)
        fileSystem.overwrite(dataDirectory + "/notes.txt", with: Array("hello".utf8))
        #expect(throws: Storage.StorageError.unexpectedFile(directory: dataDirectory, name: "notes.txt")) {
            _ = try openSimulated(fileSystem)
        }
        #expect(fileSystem.contents(of: dataDirectory + "/notes.txt") == Array("hello".utf8))
        try fileSystem.remove(dataDirectory + "/notes.txt")
        // Hidden files are ignored; leftover temporaries are removed.
        fileSystem.overwrite(dataDirectory + "/.DS_Store", with: [1])
        fileSystem.overwrite(dataDirectory + "/hardstate.tmp", with: [1, 2])
        let store = try openSimulated(fileSystem)
        defer { store.close() }
        #expect(store.recovery.removedFiles == ["hardstate.tmp"])
        #expect(fileSystem.contents(of: dataDirectory + "/.DS_Store") == [1])
        #expect(try allEntries(store).count == 5)
    }

    @Test func filesWithOurNamesButForeignContentsAreReportedByName() throws {
        let garbage = Array("not a concord file at all, but long enough to have a header".utf8)
        for (name, expected) in [
            (Storage.DataFileName.segmentName(firstIndex: 1), "corrupt segment header in '/data/segment-0000000000000001.wal' at byte offset 0: bad magic: not a Concord log segment"),
            (Storage.DataFileName.snapshotName(index: 1, term: 1), "corrupt snapshot '/data/snapshot-0000000000000001-0000000000000001.snap' at byte offset 0: bad magic: not a Concord snapshot"),
            ("hardstate", "corrupt hard state '/data/hardstate' at byte offset 48: file is 59 bytes, expected 48"),
        ] {
            let fileSystem = Storage.SimulatedFileSystem()
            try fileSystem.createDirectory(dataDirectory)
            fileSystem.overwrite(dataDirectory + "/" + name, with: garbage)
            do {
                _ = try openSimulated(fileSystem)
                Issue.record("\(name) with foreign contents was accepted")
            } catch {
                #expect("\(error)" == expected)
            }
            #expect(fileSystem.contents(of: dataDirectory + "/" + name) == garbage)
        }
    }

    @Test func recoveryThatFailsChangesNothingOnDisk() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try openSimulated(fileSystem)
        try store.log.appendAndWait(makeEntries(from: 1, count: 40, term: 1))
        try store.saveSnapshot(Storage.SnapshotRecord(index: 3, term: 1, data: [1]))
        store.close()
        // A leftover temporary, an older snapshot, a torn tail in the last
        // segment: all things recovery would clean up...
        fileSystem.overwrite(dataDirectory + "/hardstate.tmp", with: [1])
        fileSystem.overwrite(
            dataDirectory + "/" + Storage.DataFileName.snapshotName(index: 2, term: 1),
            with: Storage.SnapshotFile.encode(Storage.SnapshotRecord(index: 2, term: 1, data: [])))
        let segments = try fileSystem.contentsOfDirectory(dataDirectory).filter { $0.hasPrefix("segment-") }.sorted()
        var last = fileSystem.contents(of: dataDirectory + "/" + segments.last!)!
        let end = SegmentScanProbe.end(of: last)
        last[end + 3] = 0xFF
        fileSystem.overwrite(dataDirectory + "/" + segments.last!, with: last)
        // ...and corruption in the first segment, which stops recovery.
        var first = fileSystem.contents(of: dataDirectory + "/" + segments[0])!
        first[Storage.SegmentHeader.bytes + 20] ^= 0x10
        fileSystem.overwrite(dataDirectory + "/" + segments[0], with: first)
        let names = try fileSystem.contentsOfDirectory(dataDirectory).sorted()
        let before = names.map { fileSystem.contents(of: dataDirectory + "/" + $0)! }
        #expect(throws: Storage.StorageError.self) { _ = try openSimulated(fileSystem) }
        #expect(try fileSystem.contentsOfDirectory(dataDirectory).sorted() == names)
        #expect(names.map { fileSystem.contents(of: dataDirectory + "/" + $0)! } == before)
    }

    @Test func aSecondOpenOfTheSameDirectoryIsRefused() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try openSimulated(fileSystem)
        #expect(throws: Storage.StorageError.directoryLocked(path: dataDirectory + "/LOCK")) { _ = try openSimulated(fileSystem) }
        store.close()
        try openSimulated(fileSystem).close()

        try withTemporaryDirectory { directory in
            let first = try Storage.NodeStore.open(directory: directory, configuration: smallConfiguration)
            defer { first.close() }
            #expect(throws: Storage.StorageError.directoryLocked(path: directory + "/LOCK")) {
                _ = try Storage.NodeStore.open(directory: directory, configuration: smallConfiguration)
            }
        }
    }
}

enum SegmentScanProbe {
    /// Where the valid records of a segment end.
    static func end(of bytes: [UInt8]) -> Int {
        let first = bytes.withUnsafeBytes { (try? Storage.SegmentHeader.decode($0).get()) ?? 0 }
        return bytes.withUnsafeBytes { (try? Storage.SegmentScan.scan($0, firstIndex: first, path: "probe").endOffset) ?? 0 }
    }
}
