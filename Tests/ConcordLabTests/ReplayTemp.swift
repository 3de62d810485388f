import Testing
@testable import ConcordLab

@Suite struct ReplayTemp {
    @Test func replay() {
        let report = RaftScenario.execute(seed: 492, bug: nil, recordsTrace: true, safetyPhase: RaftScenario.shortSafetyPhase)
        print(report.verdict)
        for line in report.trace { print("T " + line) }
    }
}
