import Testing
@testable import ConcordStorage

/// The sparse index of record offsets: reads and truncations that start,
/// end or cut between its checkpoints.
@Suite struct RecordIndexTests {
    /// Segments large enough that one holds several checkpoints.
    static let configuration = Storage.LogConfiguration(segmentBytes: 64 << 10, recordPayloadBytesMax: 200, batchBytesMax: 4096)
    static let stride = Storage.RecordIndex.stride

    @Test func checkpointsAreEveryStrideThRecord() {
        var index = Storage.RecordIndex()
        for position in 0..<(3 * Self.stride + 5) { index.append(offset: 1000 + 10 * position) }
        #expect(index.count == 3 * Self.stride + 5)
        #expect(index.checkpoints == [1000, 1000 + 10 * Self.stride, 1000 + 20 * Self.stride, 1000 + 30 * Self.stride])
        #expect(index.checkpoint(before: Self.stride + 3) == (1000 + 10 * Self.stride, 3))
        #expect(index.checkpoint(after: Self.stride + 3) == 1000 + 20 * Self.stride)
        #expect(index.checkpoint(after: 3 * Self.stride) == nil)
        index.removeRecords(from: 2 * Self.stride)
        #expect(index.count == 2 * Self.stride)
        #expect(index.checkpoints.count == 2)
        index.removeRecords(from: Self.stride + 1)
        #expect(index.checkpoints.count == 2)
        index.removeRecords(from: 0)
        #expect(index.checkpoints.isEmpty)
    }

    @Test func everyRangeReadsBackAcrossCheckpoints() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let entries = makeEntries(from: 1, count: 3 * Self.stride + 7, term: 2)
        let store = try openSimulated(fileSystem, configuration: Self.configuration)
        defer { store.close() }
        try store.log.appendAndWait(entries)
        #expect(store.log.lastIndex == UInt64(entries.count))
        let edges = [1, 2, Self.stride - 1, Self.stride, Self.stride + 1, 2 * Self.stride, 2 * Self.stride + 1, entries.count]
        for first in edges {
            for last in edges where last >= first {
                let read = try store.log.entries(in: UInt64(first)..<UInt64(last + 1))
                #expect(read == Array(entries[(first - 1)..<last]), "entries \(first)...\(last)")
            }
        }
    }

    @Test(arguments: [1, 2, 64, 65, 100, 128, 129, 200])
    func truncationBetweenCheckpointsKeepsThePrefixAcrossRestarts(from cut: Int) throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let entries = makeEntries(from: 1, count: 3 * Self.stride + 7, term: 2)
        let replacement = makeEntries(from: UInt64(cut), count: 70, term: 3, seed: 9)
        do {
            let store = try openSimulated(fileSystem, configuration: Self.configuration)
            defer { store.close() }
            try store.log.appendAndWait(entries)
            try store.log.truncateAndWait(from: UInt64(cut))
            #expect(store.log.lastIndex == UInt64(cut - 1))
            try store.log.appendAndWait(replacement)
            #expect(try allEntries(store) == Array(entries.prefix(cut - 1)) + replacement)
        }
        let reopened = try openSimulated(fileSystem, configuration: Self.configuration)
        defer { reopened.close() }
        #expect(reopened.recovery.tornTail == nil)
        #expect(try allEntries(reopened) == Array(entries.prefix(cut - 1)) + replacement)
        let middle = UInt64(cut) + 1
        #expect(try reopened.log.entries(in: middle..<(middle + 3)) == Array(replacement[1..<4]))
    }
}
