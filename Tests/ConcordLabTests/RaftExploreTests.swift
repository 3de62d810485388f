import ConcordRaft
import Foundation
import Testing
@testable import ConcordLab

@Test func raftExplore() {
    let env = ProcessInfo.processInfo.environment
    guard let name = env["RAFT_BUG"] else { return }
    let bug = RaftBug(rawValue: name)
    var caught: [UInt64] = []
    for seed: UInt64 in 0..<UInt64(env["RAFT_SEEDS"].flatMap { Int($0) } ?? 10) {
        let report = RaftScenario.execute(seed: seed, bug: bug, recordsTrace: false)
        if env["RAFT_VERBOSE"] != nil {
            FileHandle.standardError.write("seed \(seed) \(report.verdict.prefix(200))\n".data(using: .utf8)!)
        }
        if !report.passed {
            caught.append(seed)
            FileHandle.standardError.write("\(seed) \(report.verdict.prefix(300))\n".data(using: .utf8)!)
        }
    }
    FileHandle.standardError.write("CAUGHT \(caught.count): \(caught)\n".data(using: .utf8)!)
}
