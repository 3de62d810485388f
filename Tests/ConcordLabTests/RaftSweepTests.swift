import ConcordRaft
import ConcordSimulation
import Testing
@testable import ConcordLab

@Suite struct RaftSweepTests {
    @Test func explore() {
        for seed: UInt64 in 0..<20 {
            let report = RaftScenario.execute(seed: seed, bug: nil, recordsTrace: false)
            print(seed, report.verdict.prefix(300))
        }
    }
}
