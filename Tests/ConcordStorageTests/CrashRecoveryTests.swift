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
}
