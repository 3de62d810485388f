import ConcordFoundation
import ConcordRaft
import PropertyBased
import Testing
@testable import ConcordStorage

/// `Storage.RaftLogStore` must agree with `MemoryRaftStorage`, the
/// reference `ConcordRaft` defines, across restarts and crashes.
@Suite struct RaftLogStoreTests {
    static let membership = ConfigurationState(voters: [1, 2, 3], learners: [7])

    static func open(_ fileSystem: Storage.SimulatedFileSystem, bootstrap: RaftDurableState = .bootstrap(membership)) throws -> Storage.RaftLogStore {
        try Storage.RaftLogStore.open(directory: dataDirectory, bootstrap: bootstrap, fileSystem: fileSystem, configuration: smallConfiguration)
    }

    static func entries(_ range: ClosedRange<UInt64>, term: UInt64, seed: Int = 0) -> [LogEntry] {
        range.map { index in
            LogEntry(index: index, term: term, kind: index % 5 == 0 ? .configurationChange : .normal,
                     data: Array("entry \(index) term \(term) seed \(seed)".utf8))
        }
    }

    /// A persist request that is valid for `state`, chosen by `code`.
    static func request(_ code: Int, sequence: UInt64, state: RaftDurableState) -> PersistRequest {
        let parameter = code / 4
        let lastTerm = state.entries.last?.term ?? state.snapshot.metadata.term
        let hardState = HardState(term: lastTerm + UInt64(parameter % 2), vote: parameter % 3 == 0 ? nil : UInt64(parameter % 4), commit: state.lastIndex)
        switch code % 4 {
        case 0:
            // New entries, possibly overwriting a suffix of the log.
            let first = max(state.snapshot.metadata.index + 1, state.lastIndex + 1 - min(UInt64(parameter % 4), state.lastIndex))
            let count = UInt64(1 + parameter % 6)
            return PersistRequest(sequence: sequence, entries: entries(first...(first + count - 1), term: lastTerm + UInt64(parameter % 2), seed: code))
        case 1 where !state.entries.isEmpty:
            // A snapshot of the replica's own log.
            let entry = state.entries[parameter % state.entries.count]
            let configuration = ConfigurationState(voters: [1, 2, 3], votersOutgoing: [1, 2, 4], learnersNext: [4], autoLeave: parameter % 2 == 0)
            return PersistRequest(sequence: sequence, snapshot: RaftSnapshot(
                metadata: SnapshotMetadata(index: entry.index, term: entry.term, configuration: configuration),
                data: Array("state \(entry.index)".utf8)))
        case 1, 2:
            // A snapshot from the leader that the log disagrees with.
            let index = state.lastIndex + UInt64(parameter % 3)
            return PersistRequest(sequence: sequence, snapshot: RaftSnapshot(
                metadata: SnapshotMetadata(index: max(index, state.snapshot.metadata.index + 1), term: lastTerm + 1, configuration: membership),
                data: [UInt8(truncatingIfNeeded: code)]), hardState: hardState)
        default:
            return PersistRequest(sequence: sequence, hardState: hardState)
        }
    }

    @Test func aFreshDirectoryStartsFromTheBootstrapStateAndLaterOpensIgnoreIt() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try Self.open(fileSystem)
        #expect(try store.load() == .bootstrap(Self.membership))
        store.close()
        store = try Self.open(fileSystem, bootstrap: .bootstrap(ConfigurationState(voters: [9])))
        defer { store.close() }
        #expect(try store.load() == .bootstrap(Self.membership))
    }

    @Test func persistRequestsMatchMemoryStorageAcrossRestartsAndCrashes() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...999).array(of: 1...30), Gen.uint64()) { codes, seed in
            let fileSystem = Storage.SimulatedFileSystem()
            var generator = SplitMix64(seed: seed)
            var memory = MemoryRaftStorage(.bootstrap(Self.membership))
            var store = try Self.open(fileSystem)
            for (position, code) in codes.enumerated() {
                if code % 11 == 0 {
                    // Restart, after a power cut half of the time.
                    if code % 2 == 0 { fileSystem.crash(using: &generator) }
                    store.close()
                    store = try Self.open(fileSystem)
                } else {
                    let request = Self.request(code, sequence: UInt64(position), state: try memory.load())
                    try memory.persist(request)
                    try store.persist(request)
                }
                let expected = try memory.load()
                let loaded = try store.load()
                #expect(loaded == expected, "after \(codes[...position])")
                if loaded != expected { break }
            }
            store.close()
            let reopened = try Self.open(fileSystem)
            defer { reopened.close() }
            #expect(try reopened.load() == (try memory.load()))
        }
    }

    @Test func batchedPersistsStoreWhatPersistingOneByOneStores() async {
        // Random requests cut into random batches: with no commit lag the
        // result must be exactly the reference's; with a lag only the
        // commit index may trail, never the term, vote, log or snapshot.
        await propertyCheck(count: 60, input: Gen.int(in: 0...999).array(of: 1...40), Gen.int(in: 1...6), Gen.bool) { codes, batchSize, lazy in
            let fileSystem = Storage.SimulatedFileSystem()
            var memory = MemoryRaftStorage(.bootstrap(Self.membership))
            let store = try Self.open(fileSystem)
            var batch: [PersistRequest] = []
            let lag: UInt64 = lazy ? 5 : 0
            func check(_ label: String) throws {
                let expected = try memory.load()
                let loaded = try store.load()
                #expect(loaded.snapshot == expected.snapshot, "\(label)")
                #expect(loaded.entries == expected.entries, "\(label)")
                #expect(loaded.hardState.term == expected.hardState.term && loaded.hardState.vote == expected.hardState.vote, "\(label)")
                #expect(loaded.hardState.commit <= expected.hardState.commit, "\(label): the stored commit ran ahead")
                #expect(loaded.hardState.commit + lag >= expected.hardState.commit, "\(label): the stored commit lags more than allowed")
            }
            for (position, code) in codes.enumerated() {
                // Requests are made against the reference's state, as Raft
                // makes them against its own log.
                let request = Self.request(code, sequence: UInt64(position), state: try memory.load())
                try memory.persist(request)
                batch.append(request)
                if batch.count == batchSize || position == codes.count - 1 {
                    try store.persist(batch: batch, commitLagMax: lag)
                    batch = []
                    try check("after \(codes[...position]) in batches of \(batchSize)")
                }
            }
            store.close()
            let reopened = try Self.open(fileSystem)
            defer { reopened.close() }
            let expected = try memory.load()
            let loaded = try reopened.load()
            #expect(loaded.entries == expected.entries && loaded.snapshot == expected.snapshot)
        }
    }

    @Test func aBatchWritesItsEntriesWithOneGroupCommit() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try Self.open(fileSystem)
        defer { store.close() }
        let before = store.store.log.currentStatistics.batches
        var requests: [PersistRequest] = []
        for step in UInt64(0)..<8 {
            let first = step * 4 + 1
            requests.append(PersistRequest(sequence: step + 1, entries: Self.entries(first...(first + 3), term: 1)))
        }
        try store.persist(batch: requests, commitLagMax: 0)
        #expect(store.store.log.currentStatistics.batches - before == 1)
        #expect(try store.load().lastIndex == 32)
    }

    @Test func aLaterRequestInABatchReplacesTheEntriesItOverlaps() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try Self.open(fileSystem)
        // The bootstrap snapshot covers index 1, so the log starts at 2.
        let requests = [
            PersistRequest(sequence: 1, entries: Self.entries(2...6, term: 1)),
            PersistRequest(sequence: 2, entries: Self.entries(5...7, term: 2)),
            PersistRequest(sequence: 3, entries: Self.entries(8...8, term: 2)),
        ]
        try store.persist(batch: requests, commitLagMax: 0)
        store.close()
        store = try Self.open(fileSystem)
        defer { store.close() }
        #expect(try store.load().entries == Self.entries(2...4, term: 1) + Self.entries(5...8, term: 2))
    }

    @Test func onlyACommitIndexThatMovedForwardWaitsForTheLag() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try Self.open(fileSystem)
        try store.persist(batch: [PersistRequest(sequence: 1, entries: Self.entries(2...6, term: 1), hardState: HardState(term: 1, vote: 2, commit: 5))], commitLagMax: 0)
        // A commit index below the stored one is written as one request would
        // write it, lag or not.
        try store.persist(batch: [PersistRequest(sequence: 2, hardState: HardState(term: 1, vote: 2, commit: 3))], commitLagMax: 100)
        store.close()
        store = try Self.open(fileSystem)
        defer { store.close() }
        #expect(try store.load().hardState == HardState(term: 1, vote: 2, commit: 3))
    }

    @Test func aBatchSavesTheHardStateWhenTheVoteChangesEvenWithALag() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try Self.open(fileSystem)
        try store.persist(batch: [PersistRequest(sequence: 1, entries: Self.entries(1...3, term: 1), hardState: HardState(term: 2, vote: 3, commit: 1))], commitLagMax: 100)
        try store.persist(batch: [PersistRequest(sequence: 2, hardState: HardState(term: 2, vote: 3, commit: 3))], commitLagMax: 100)
        store.close()
        store = try Self.open(fileSystem)
        defer { store.close() }
        // The vote is durable; the commit-only change waited for a larger lag.
        #expect(try store.load().hardState == HardState(term: 2, vote: 3, commit: 1))
    }

    @Test func aCrashDuringAPersistNeverLetsTheHardStateRunAheadOfTheLog() throws {
        // Overwrite a suffix and move the commit index in one request, with
        // a crash at every step of it.
        let setup: [PersistRequest] = [PersistRequest(sequence: 1, entries: Self.entries(1...30, term: 1))]
        let request = PersistRequest(sequence: 2, entries: Self.entries(20...34, term: 2), hardState: HardState(term: 2, vote: 2, commit: 34))
        var steps = 0
        do {
            let fileSystem = Storage.SimulatedFileSystem()
            var store = try Self.open(fileSystem)
            for setupRequest in setup { try store.persist(setupRequest) }
            let before = fileSystem.mutatingOperationCount
            try store.persist(request)
            steps = fileSystem.mutatingOperationCount - before
            store.close()
        }
        #expect(steps > 5)
        for step in 1...steps {
            for seed in UInt64(0)..<3 {
                let fileSystem = Storage.SimulatedFileSystem()
                var memory = MemoryRaftStorage(.bootstrap(Self.membership))
                var store = try Self.open(fileSystem)
                for setupRequest in setup {
                    try store.persist(setupRequest)
                    try memory.persist(setupRequest)
                }
                let before = try memory.load()
                try memory.persist(request)
                let after = try memory.load()
                fileSystem.crashAfter(operations: step)
                #expect(throws: RaftStorageError.self) { try store.persist(request) }
                var generator = SplitMix64(seed: seed)
                fileSystem.crash(using: &generator)
                store.close()
                store = try Self.open(fileSystem)
                let recovered = try store.load()
                store.close()
                // Entries before the overwritten suffix are untouched; the rest
                // is a prefix of the old suffix or of the new one.
                func below20(_ state: RaftDurableState) -> [LogEntry] { state.entries.filter { $0.index < 20 } }
                func from20(_ state: RaftDurableState) -> [LogEntry] { state.entries.filter { $0.index >= 20 } }
                #expect(below20(recovered) == below20(before), "step \(step)")
                let suffix = from20(recovered)
                #expect(suffix.isPrefix(of: from20(before)) || suffix.isPrefix(of: from20(after)), "step \(step): \(suffix.map(\.term))")
                if recovered.hardState == after.hardState {
                    #expect(recovered.lastIndex == after.lastIndex, "step \(step): the commit index is ahead of the log")
                    #expect(recovered.entries == after.entries, "step \(step)")
                } else {
                    #expect(recovered.hardState == before.hardState, "step \(step)")
                }
            }
        }
    }

    @Test func snapshotConfigurationAndDataRoundTripThroughFiles() throws {
        try withTemporaryDirectory { directory in
            let configuration = ConfigurationState(voters: [1, 2], votersOutgoing: [1, 2, 3], learners: [8, 9], learnersNext: [3], autoLeave: true)
            let snapshot = RaftSnapshot(metadata: SnapshotMetadata(index: 12, term: 4, configuration: configuration), data: Array("kv state".utf8))
            var store = try Storage.RaftLogStore.open(directory: directory, bootstrap: .bootstrap(Self.membership), configuration: smallConfiguration)
            try store.persist(PersistRequest(sequence: 1, entries: Self.entries(1...15, term: 4)))
            try store.persist(PersistRequest(sequence: 2, snapshot: snapshot, hardState: HardState(term: 4, vote: 1, commit: 15)))
            store.close()
            store = try Storage.RaftLogStore.open(directory: directory, bootstrap: .bootstrap(Self.membership), configuration: smallConfiguration)
            defer { store.close() }
            let state = try store.load()
            #expect(state.snapshot == snapshot)
            #expect(state.entries == Self.entries(13...15, term: 4))
            #expect(state.hardState == HardState(term: 4, vote: 1, commit: 15))
        }
    }

    @Test func appendWithAHoleIsRefusedAndChangesNothing() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try Self.open(fileSystem)
        defer { store.close() }
        try store.append(Self.entries(1...3, term: 1))
        #expect(throws: RaftStorageError.entriesNotContiguous(lastStored: 3, firstAppended: 5)) {
            try store.append(Self.entries(5...6, term: 1))
        }
        #expect(try store.load().lastIndex == 3)
    }

    @Test func recordsThatAreNotRaftEntriesAreReportedAsCorruption() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        var store = try Self.open(fileSystem)
        try store.append(Self.entries(1...2, term: 1))
        // A record whose kind byte no Raft entry has.
        try store.store.log.appendAndWait([Storage.LogRecord(index: 3, term: 1, payload: [9, 1, 2])])
        #expect(throws: RaftStorageError.corrupted("log entry 3 has no valid kind byte")) { _ = try store.load() }
        store.close()
        // Damage on disk surfaces as corruption naming the file.
        let path = dataDirectory + "/" + (try fileSystem.contentsOfDirectory(dataDirectory).filter { $0.hasPrefix("segment-") }.sorted()[0])
        var bytes = fileSystem.contents(of: path)!
        bytes[Storage.SegmentHeader.bytes + 20] ^= 1
        fileSystem.overwrite(path, with: bytes)
        do {
            store = try Self.open(fileSystem)
            store.close()
            Issue.record("a damaged segment opened")
        } catch let error as RaftStorageError {
            guard case let .corrupted(message) = error else { Issue.record("unexpected \(error)"); return }
            #expect(message.contains(path))
        }
    }
}
