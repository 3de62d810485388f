import ConcordRaft
import ConcordSimulation
import Testing
import Foundation
@testable import ConcordLab

@Suite struct RaftSweepTests {
    @Test func explore() {
        let env = ProcessInfo.processInfo.environment
        let bug = env["RAFT_BUG"].flatMap { RaftBug(rawValue: $0) }
        let clock = ContinuousClock()
        var caught: [UInt64] = []
        for seed: UInt64 in 0..<UInt64(env["RAFT_SEEDS"].flatMap { Int($0) } ?? 10) {
            let start = clock.now
            let report = RaftScenario.execute(seed: seed, bug: bug, recordsTrace: false)
            if !report.passed { caught.append(seed) }
            FileHandle.standardError.write("\(seed) \(clock.now - start) \(report.verdict.prefix(200))\n".data(using: .utf8)!)
        }
        FileHandle.standardError.write("CAUGHT \(caught.count): \(caught)\n".data(using: .utf8)!)
    }
}
