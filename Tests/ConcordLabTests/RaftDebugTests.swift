import ConcordRaft
import ConcordSimulation
import Testing
@testable import ConcordLab

@Test func debugSeed() {
    let report = RaftScenario.execute(seed: 2, bug: nil, recordsTrace: true)
    for line in report.trace where !line.contains("heartbeat") { print(line) }
}
