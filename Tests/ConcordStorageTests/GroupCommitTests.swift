import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConcordStorage

/// A file system whose file syncs wait at a gate while it is closed, so a
/// test can hold the writer inside a sync and queue appends behind it.
final class GatedFileSystem: Storage.FileSystem, @unchecked Sendable {
    let inner: Storage.SimulatedFileSystem
    private let condition = NSCondition()
    private var isClosed = false
    private var waiting = 0

    init(_ inner: Storage.SimulatedFileSystem) { self.inner = inner }

    func close() { condition.lock(); isClosed = true; condition.unlock() }

    func open() {
        condition.lock()
        isClosed = false
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until a sync is waiting at the closed gate.
    func waitForSyncAtGate() {
        condition.lock()
        while waiting == 0 { condition.wait() }
        condition.unlock()
    }

    func pass() {
        condition.lock()
        waiting += 1
        condition.broadcast()
        while isClosed { condition.wait() }
        waiting -= 1
        condition.unlock()
    }

    func open(_ path: String, create: Bool) throws -> any Storage.StorageFile {
        GatedFile(inner: try inner.open(path, create: create), gate: self)
    }
    func contentsOfDirectory(_ path: String) throws -> [String] { try inner.contentsOfDirectory(path) }
    func createDirectory(_ path: String) throws { try inner.createDirectory(path) }
    func exists(_ path: String) -> Bool { inner.exists(path) }
    func rename(_ source: String, to destination: String) throws { try inner.rename(source, to: destination) }
    func remove(_ path: String) throws { try inner.remove(path) }
    func syncDirectory(_ path: String) throws { try inner.syncDirectory(path) }
    func lock(_ path: String) throws -> any Storage.StorageFile { try inner.lock(path) }
}

final class GatedFile: Storage.StorageFile, @unchecked Sendable {
    let inner: any Storage.StorageFile
    let gate: GatedFileSystem
    init(inner: any Storage.StorageFile, gate: GatedFileSystem) { self.inner = inner; self.gate = gate }
    var path: String { inner.path }
    func size() throws -> UInt64 { try inner.size() }
    func read(at offset: UInt64, count: Int) throws -> [UInt8] { try inner.read(at: offset, count: count) }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws { try inner.write(bytes, at: offset) }
    func truncate(to size: UInt64) throws { try inner.truncate(to: size) }
    func preallocate(to size: UInt64, zeroFill: Bool) throws { try inner.preallocate(to: size, zeroFill: zeroFill) }
    func sync() throws {
        if path.contains("/segment-") { gate.pass() }
        try inner.sync()
    }
    func close() throws { try inner.close() }
}

final class Completions: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [UInt64: Result<Void, Storage.StorageError>] = [:]

    func record(_ index: UInt64, _ result: Result<Void, Storage.StorageError>) {
        condition.lock()
        results[index] = result
        condition.broadcast()
        condition.unlock()
    }

    var count: Int { condition.lock(); defer { condition.unlock() }; return results.count }

    func waitFor(_ count: Int) -> [UInt64: Result<Void, Storage.StorageError>] {
        condition.lock()
        defer { condition.unlock() }
        while results.count < count { condition.wait() }
        return results
    }
}

@Suite struct GroupCommitTests {
    @Test func appendsQueuedDuringASyncAreMadeDurableTogetherByOneSync() throws {
        let simulated = Storage.SimulatedFileSystem()
        let gated = GatedFileSystem(simulated)
        let store = try Storage.NodeStore.open(directory: dataDirectory, fileSystem: gated, configuration: smallConfiguration)
        let completions = Completions()
        gated.close()
        let first = makeEntries(from: 1, count: 1, term: 1)
        store.log.append(first) { completions.record(1, $0) }
        gated.waitForSyncAtGate()
        // The writer is inside the first sync: nothing is acknowledged yet.
        #expect(completions.count == 0)
        #expect(store.log.durableLastIndex == 0)
        for index in UInt64(2)...9 {
            store.log.append(makeEntries(from: index, count: 1, term: 1)) { completions.record(index, $0) }
        }
        #expect(completions.count == 0)
        gated.open()
        let results = completions.waitFor(9)
        #expect(results.values.allSatisfy { if case .success = $0 { true } else { false } })
        let statistics = store.log.currentStatistics
        #expect(statistics.records == 9)
        #expect(statistics.batches == 2, "the eight appends queued behind the first sync must share one")
        #expect(store.log.durableLastIndex == 9)
        store.close()
    }

    @Test func completionsRunOnlyAfterTheirRecordsAreDurable() throws {
        let simulated = Storage.SimulatedFileSystem()
        let gated = GatedFileSystem(simulated)
        let store = try Storage.NodeStore.open(directory: dataDirectory, fileSystem: gated, configuration: smallConfiguration)
        let completions = Completions()
        gated.close()
        store.log.append(makeEntries(from: 1, count: 3, term: 1)) { completions.record(1, $0) }
        gated.waitForSyncAtGate()
        // Power fails while the sync is held: the unacknowledged records go.
        simulated.crashLosingEverythingUnsynced()
        gated.open()
        let results = completions.waitFor(1)
        guard case .failure = results[1]! else {
            Issue.record("an append whose sync never happened was acknowledged")
            return
        }
        store.close()
        let reopened = try openSimulated(simulated)
        defer { reopened.close() }
        #expect(try allEntries(reopened).isEmpty)
    }

    @Test func aSnapshotDecidesOnAppendsQueuedBeforeIt() throws {
        let simulated = Storage.SimulatedFileSystem()
        let gated = GatedFileSystem(simulated)
        let store = try Storage.NodeStore.open(directory: dataDirectory, fileSystem: gated, configuration: smallConfiguration)
        let completions = Completions()
        gated.close()
        let entries = makeEntries(from: 1, count: 10, term: 1)
        store.log.append(Array(entries[0..<5])) { completions.record(1, $0) }
        gated.waitForSyncAtGate()
        // Entries 6...10 are queued, not yet written, when the snapshot at 8
        // arrives: it must keep them, not take the log for one that ends
        // before the snapshot.
        store.log.append(Array(entries[5..<10])) { completions.record(2, $0) }
        let snapshotDone = Completions()
        Thread {
            let result = Result { try store.saveSnapshot(Storage.SnapshotRecord(index: 8, term: 1, data: [8])) }
            snapshotDone.record(0, result.mapError { $0 as! Storage.StorageError })
        }.start()
        // Let the snapshot file land before the writer may go on (a wait for
        // a condition, with a deadline).
        let snapshotPath = dataDirectory + "/" + Storage.DataFileName.snapshotName(index: 8, term: 1)
        let deadline = ContinuousClock.now + .seconds(10)
        while !simulated.exists(snapshotPath) && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.001) }
        gated.open()
        _ = completions.waitFor(2)
        #expect(throws: Never.self) { try snapshotDone.waitFor(1)[0]!.get() }
        #expect(try allEntriesAfter(8, store) == Array(entries[8...]))
        store.close()
    }

    func allEntriesAfter(_ index: UInt64, _ store: Storage.NodeStore) throws -> [Storage.LogRecord] {
        try store.log.entries(in: (index + 1)..<(store.log.lastIndex + 1))
    }

    @Test func readersSeeWholeEntriesWhileAWriterAppends() async throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try openSimulated(fileSystem)
        defer { store.close() }
        let all = makeEntries(from: 1, count: 400, term: 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for start in stride(from: 0, to: 400, by: 20) {
                    try await store.log.append(Array(all[start..<(start + 20)]))
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<200 {
                        let last = store.log.lastIndex
                        guard last >= 1 else { continue }
                        let read = try store.log.entries(in: 1..<(last + 1))
                        #expect(read == Array(all.prefix(read.count)))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try allEntries(store) == all)
    }

    @Test func concurrentWritersOnRealFilesAreAllDurableAndInOrder() async throws {
        try await withTemporaryDirectory { directory in
            let configuration = Storage.LogConfiguration(segmentBytes: 64 << 10, recordPayloadBytesMax: 1024)
            let store = try Storage.NodeStore.open(directory: directory, configuration: configuration)
            let writers = 16
            let perWriter = 25
            let assigned = try await withThrowingTaskGroup(of: [(UInt64, [UInt8])].self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var mine: [(UInt64, [UInt8])] = []
                        for record in 0..<perWriter {
                            let payload = Array("writer \(writer) record \(record)".utf8)
                            mine.append((try await store.log.appendNext(term: 1, payload: payload), payload))
                        }
                        return mine
                    }
                }
                var all: [(UInt64, [UInt8])] = []
                for try await mine in group { all += mine }
                return all
            }
            let statistics = store.log.currentStatistics
            #expect(statistics.records == writers * perWriter)
            #expect(statistics.batches <= statistics.records)
            store.close()

            let reopened = try Storage.NodeStore.open(directory: directory, configuration: configuration)
            defer { reopened.close() }
            let entries = try allEntries(reopened)
            #expect(entries.map(\.index) == Array(1...UInt64(writers * perWriter)))
            for (index, payload) in assigned {
                #expect(entries[Int(index) - 1].payload == payload)
            }
        }
    }

    @Test func realFilesSurviveReopeningAcrossSegmentsTruncationAndSnapshots() throws {
        try withTemporaryDirectory { directory in
            let configuration = Storage.LogConfiguration(segmentBytes: 4096, recordPayloadBytesMax: 512)
            var store = try Storage.NodeStore.open(directory: directory, configuration: configuration)
            let entries = makeEntries(from: 1, count: 200, term: 1)
            try store.log.appendAndWait(entries)
            try store.log.truncateAndWait(from: 150)
            let replacement = makeEntries(from: 150, count: 20, term: 2)
            try store.log.appendAndWait(replacement)
            try store.saveSnapshot(Storage.SnapshotRecord(index: 100, term: 1, data: [1, 2, 3]))
            try store.saveHardState(Storage.VoteRecord(term: 2, vote: 1, commit: 160))
            store.close()
            store = try Storage.NodeStore.open(directory: directory, configuration: configuration)
            defer { store.close() }
            #expect(store.recovery.tornTail == nil)
            #expect(store.recovery.snapshot?.index == 100)
            #expect(store.recovery.hardState == Storage.VoteRecord(term: 2, vote: 1, commit: 160))
            #expect(try allEntries(store) == Array(entries[100..<149]) + replacement)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(files.allSatisfy { Storage.DataFileName.classify($0) != nil })
            // Every segment file is preallocated to the configured size.
            for name in files where name.hasPrefix("segment-") {
                let size = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as! NSNumber
                #expect(size.intValue == 4096)
            }
        }
    }

    @Test func tornTailOfARealFileIsTrimmedAndTheSegmentRefilled() throws {
        try withTemporaryDirectory { directory in
            for preallocation in [Storage.LogConfiguration.Preallocation.allocate, .zeroFill] {
                let path = directory + "/\(preallocation)"
                let configuration = Storage.LogConfiguration(segmentBytes: 8192, recordPayloadBytesMax: 512, preallocation: preallocation)
                var store = try Storage.NodeStore.open(directory: path, configuration: configuration)
                let entries = makeEntries(from: 1, count: 10, term: 1)
                try store.log.appendAndWait(entries)
                try store.saveSnapshot(Storage.SnapshotRecord(index: 2, term: 1, data: [7]))
                store.close()
                let segment = path + "/" + Storage.DataFileName.segmentName(firstIndex: 1)
                let offsets = recordOffsets(entries)
                #expect(truncate(segment, off_t(offsets[8] + 5)) == 0)
                store = try Storage.NodeStore.open(directory: path, configuration: configuration)
                #expect(store.recovery.tornTail?.offset == UInt64(offsets[8]))
                #expect(try allEntries(store) == Array(entries[2..<8]))
                // Truncation below the snapshot is refused.
                #expect(throws: Storage.StorageError.self) { try store.log.truncateAndWait(from: 2) }
                store.close()
                let size = try FileManager.default.attributesOfItem(atPath: segment)[.size] as! NSNumber
                #expect(size.intValue == 8192)
            }
        }
    }
}
