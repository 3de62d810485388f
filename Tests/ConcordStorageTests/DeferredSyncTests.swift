import Testing

@testable import ConcordStorage

/// `LogConfiguration.syncsEachBatch = false` (the available store's
/// `appendfsync everysec` and `no`): appends complete once written, a
/// power cut loses what no `sync` covered, and `syncAndWait` makes
/// everything written before it durable.
@Suite struct DeferredSyncTests {
    private static func configuration(syncsEachBatch: Bool) -> Storage.LogConfiguration {
        var configuration = Storage.LogConfiguration(segmentBytes: 64 << 10, recordPayloadBytesMax: 200, batchBytesMax: 4096)
        configuration.syncsEachBatch = syncsEachBatch
        return configuration
    }

    @Test func anUnsyncedAppendIsLostInAPowerCutAndASyncedOneIsKept() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let deferred = Self.configuration(syncsEachBatch: false)
        var store = try openSimulated(fileSystem, configuration: deferred)
        let entries = makeEntries(from: 1, count: 15, term: 1)
        try store.log.appendAndWait(Array(entries[..<10]))
        #expect(try allEntries(store) == Array(entries[..<10]), "written records are readable")
        fileSystem.crashLosingEverythingUnsynced()
        store = try openSimulated(fileSystem, configuration: deferred)
        #expect(try allEntries(store).isEmpty, "no sync covered them")

        try store.log.appendAndWait(Array(entries[..<10]))
        try store.log.syncAndWait()
        try store.log.appendAndWait(Array(entries[10...]))
        fileSystem.crashLosingEverythingUnsynced()
        store = try openSimulated(fileSystem, configuration: deferred)
        defer { store.close() }
        #expect(try allEntries(store) == Array(entries[..<10]), "the sync covered exactly the records before it")
    }

    @Test func theDefaultSyncsEveryBatchBeforeCompletingIt() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let configuration = Self.configuration(syncsEachBatch: true)
        var store = try openSimulated(fileSystem, configuration: configuration)
        let entries = makeEntries(from: 1, count: 10, term: 1)
        try store.log.appendAndWait(entries)
        fileSystem.crashLosingEverythingUnsynced()
        store = try openSimulated(fileSystem, configuration: configuration)
        defer { store.close() }
        #expect(try allEntries(store) == entries)
    }
}
