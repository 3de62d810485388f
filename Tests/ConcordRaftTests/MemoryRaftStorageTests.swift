import Testing
@testable import ConcordRaft

@Suite struct MemoryRaftStorageTests {
    let configuration = ConfigurationState(voters: [1, 2, 3])

    func entries(_ range: ClosedRange<UInt64>, term: UInt64) -> [LogEntry] {
        range.map { LogEntry(index: $0, term: term, data: [UInt8($0 & 0xff)]) }
    }

    @Test func appendOverwritesTheConflictingSuffix() throws {
        var storage = MemoryRaftStorage(.joining)
        try storage.append(entries(1...5, term: 1))
        try storage.append(entries(4...6, term: 2))
        let state = try storage.load()
        #expect(state.entries.map(\.index) == [1, 2, 3, 4, 5, 6])
        #expect(state.entries.map(\.term) == [1, 1, 1, 2, 2, 2])
    }

    @Test func appendRejectsAHoleAndChangesNothing() throws {
        var storage = MemoryRaftStorage(.joining)
        try storage.append(entries(1...2, term: 1))
        #expect(throws: RaftStorageError.entriesNotContiguous(lastStored: 2, firstAppended: 4)) {
            try storage.append(entries(4...5, term: 1))
        }
        #expect(try storage.load().lastIndex == 2)
    }

    @Test func snapshotMatchingALogEntryKeepsTheEntriesAfterIt() throws {
        var storage = MemoryRaftStorage(.joining)
        try storage.append(entries(1...5, term: 1))
        let metadata = SnapshotMetadata(index: 3, term: 1, configuration: configuration)
        try storage.saveSnapshot(RaftSnapshot(metadata: metadata, data: [9]))
        let state = try storage.load()
        #expect(state.snapshot.metadata.index == 3)
        #expect(state.entries.map(\.index) == [4, 5])
        try storage.append(entries(2...4, term: 1))
        #expect(try storage.load().entries.map(\.index) == [4])
    }

    @Test func snapshotNotMatchingTheLogDiscardsTheWholeLog() throws {
        var storage = MemoryRaftStorage(.joining)
        try storage.append(entries(1...5, term: 1))
        let metadata = SnapshotMetadata(index: 4, term: 2, configuration: configuration)
        try storage.persist(PersistRequest(sequence: 1, snapshot: RaftSnapshot(metadata: metadata, data: []), hardState: HardState(term: 2, vote: 1, commit: 4)))
        let state = try storage.load()
        #expect(state.entries.isEmpty)
        #expect(state.lastIndex == 4)
        #expect(state.hardState == HardState(term: 2, vote: 1, commit: 4))
    }
}
