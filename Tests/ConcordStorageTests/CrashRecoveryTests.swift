import ConcordFoundation
import PropertyBased
import Testing
@testable import ConcordStorage

@Suite struct CrashRecoveryTests {
    /// A fixed workload touching every operation: appends that fill several
    /// segments, truncation across a segment boundary, a snapshot with
    /// compaction, hard state, a snapshot that replaces the log.
    static let workload = [49, 49, 49, 49, 49, 26, 205, 42, 143, 49, 6, 11, 49, 42, 13, 61, 16, 49]

    @Test func aCrashAtEveryFileSystemStepLosesNothingReportedDurable() {
        var reference = StoreHarness(seed: 0)
        reference.run(codes: Self.workload)
        #expect(reference.violations.isEmpty, "\(reference.violations)")
        let steps = reference.fileSystem.mutatingOperationCount
        #expect(steps > 50)
        for step in 1...steps {
            for seed in UInt64(0)..<3 {
                var harness = StoreHarness(seed: seed)
                harness.run(codes: Self.workload, crashAfter: step)
                #expect(harness.violations.isEmpty, "crash at step \(step), seed \(seed): \(harness.violations); ops \(harness.trace)")
            }
        }
    }

    @Test func crashTestsCatchADiskThatIgnoresSyncs() {
        var caught = 0
        for step in stride(from: 5, through: 200, by: 5) {
            var harness = StoreHarness(seed: UInt64(step))
            harness.run(codes: Self.workload, crashAfter: step, lyingDisk: true)
            if !harness.violations.isEmpty { caught += 1 }
        }
        #expect(caught > 10, "a lying disk lost acknowledged writes in only \(caught) of 40 runs")
    }

    @Test func randomOperationsAndRestartsMatchTheModel() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...9999).array(of: 1...40), Gen.uint64()) { codes, seed in
            var harness = StoreHarness(seed: seed)
            harness.run(codes: codes)
            #expect(harness.violations.isEmpty, "\(harness.violations); ops \(harness.trace)")
        }
    }

    @Test func randomOperationsWithACrashAtARandomStepLoseNothingReportedDurable() async {
        await propertyCheck(count: 150, input: Gen.int(in: 0...9999).array(of: 1...30), Gen.int(in: 1...150), Gen.uint64()) { codes, step, seed in
            var harness = StoreHarness(seed: seed)
            harness.run(codes: codes, crashAfter: step)
            #expect(harness.violations.isEmpty, "crash at step \(step): \(harness.violations); ops \(harness.trace)")
        }
    }

    /// Real disks may write unsynced pages back in any order. Then a
    /// damaged record can be followed by a whole one from the same unsynced
    /// batch, which recovery cannot tell from corruption: it refuses to
    /// start. What it must never do is start without an acknowledged record.
    @Test func outOfOrderWriteBackEitherKeepsEverythingAcknowledgedOrRefusesToStart() throws {
        var recovered = 0
        var refused = 0
        for seed in UInt64(0)..<300 {
            let fileSystem = Storage.SimulatedFileSystem()
            try fileSystem.createDirectory(dataDirectory)
            let (log, _) = try Storage.SegmentedLog.open(
                fileSystem: fileSystem, directory: dataDirectory, configuration: smallConfiguration,
                segmentFirstIndexes: [], emptyLogFirstIndex: 1)
            try log.completeRecovery(resettingTo: nil)
            let acknowledged = makeEntries(from: 1, count: 5 + Int(seed % 7), term: 1, seed: seed)
            try log.append(acknowledged)
            try log.sync()
            let unsynced = makeEntries(from: UInt64(acknowledged.count) + 1, count: 1 + Int(seed % 9), term: 2, seed: seed)
            try log.append(unsynced)
            var generator = SplitMix64(seed: seed)
            fileSystem.crashReorderingBlocks(blockBytes: 64, using: &generator)
            log.close()
            do {
                let store = try openSimulated(fileSystem)
                let entries = try allEntries(store)
                store.close()
                #expect(acknowledged.isPrefix(of: entries), "seed \(seed): lost an acknowledged record")
                #expect(entries.isPrefix(of: acknowledged + unsynced), "seed \(seed): recovered records never written")
                recovered += 1
            } catch let error as Storage.StorageError {
                guard case let .corruptRecord(file, offset, _) = error else {
                    Issue.record("seed \(seed): unexpected \(error)")
                    continue
                }
                // The damage it names lies past every acknowledged record.
                #expect(file.hasPrefix(dataDirectory + "/segment-"))
                if file == segmentPath(1) { #expect(offset >= UInt64(recordOffsets(acknowledged).last!), "seed \(seed)") }
                refused += 1
            }
        }
        #expect(recovered > 0)
        #expect(refused > 0, "out-of-order write-back never produced the ambiguous case")
    }
}
