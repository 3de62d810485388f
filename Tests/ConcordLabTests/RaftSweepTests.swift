import ConcordRaft
import ConcordSimulation
import Testing
@testable import ConcordLab

/// Randomized sweeps of the `raft` scenario: the correct core passes every
/// seed, and each test-only bug is caught within a stated number of seeds.
@Suite struct RaftSweepTests {
    /// The CI sweep: 500 seeds of short runs (a 300 ms safety phase of dense
    /// swarm faults, then the liveness phase), in chunks that run in parallel.
    static let sweepSeeds: UInt64 = 500
    static let sweepChunks: UInt64 = 10

    @Test(arguments: 0..<sweepChunks)
    func correctCorePassesShortSwarmRuns(chunk: UInt64) {
        let size = Self.sweepSeeds / Self.sweepChunks
        var verdicts: [String] = []
        let failures = Sweep.run(seeds: (chunk * size)..<((chunk + 1) * size)) { seed in
            let report = RaftScenario.execute(
                seed: seed, bug: nil, recordsTrace: false, safetyPhase: RaftScenario.shortSafetyPhase)
            if !report.passed { verdicts.append(report.verdict) }
            return report.passed
        }
        #expect(failures.isEmpty, "failing seeds \(failures): \(verdicts.first ?? "")")
    }

    /// The seed bound within which the sweep (standard runs: a 1 s safety
    /// phase) must catch each bug. The test stops at the first catch.
    static let catchBounds: [RaftBug: UInt64] = [
        .voteWithoutLogCheck: 40,
        .commitEarlierTermByCounting: 250,
        .readWithoutQuorumCheck: 100,
        .voteBeforeDurable: 250,
        .applyBeforeCommit: 40,
        .acceptStaleTermAppend: 250,
    ]

    @Test(arguments: RaftBug.allCases)
    func sweepCatchesTheBug(_ bug: RaftBug) {
        let bound = Self.catchBounds[bug]!
        var caught: (seed: UInt64, verdict: String)?
        for seed in 0..<bound {
            let report = RaftScenario.execute(seed: seed, bug: bug, recordsTrace: false)
            if !report.passed {
                caught = (seed, report.verdict)
                break
            }
        }
        guard let caught else {
            Issue.record("\(bug.rawValue) was not caught within \(bound) seeds")
            return
        }
        // The same seed passes without the bug: the bug, not the run, failed it.
        let correct = RaftScenario.execute(seed: caught.seed, bug: nil, recordsTrace: false)
        #expect(correct.passed, "seed \(caught.seed) also fails without \(bug.rawValue): \(correct.verdict)")
        print("raft sweep caught \(bug.rawValue) at seed \(caught.seed): \(caught.verdict.prefix(240))")
    }

    @Test func theSameSeedGivesTheSameTrace() {
        let first = RaftScenario.execute(seed: 7, bug: nil, recordsTrace: false)
        let second = RaftScenario.execute(seed: 7, bug: nil, recordsTrace: false)
        let other = RaftScenario.execute(seed: 8, bug: nil, recordsTrace: false)
        #expect(first.traceHash == second.traceHash && first.verdict == second.verdict)
        #expect(first.traceHash != other.traceHash)
    }

    @Test func theScenarioIsRegisteredAndRefusesUnknownBugs() {
        let scenario = Scenarios.named("raft")
        #expect(scenario != nil)
        let refused = scenario!.run(ScenarioOptions(seed: 1, bug: "no-such-bug"))
        #expect(!refused.passed && refused.verdict.contains("unknown bug"))
        let timeline = scenario!.run(ScenarioOptions(seed: 1, recordTimeline: true))
        #expect(timeline.passed && timeline.timeline.contains { $0.contains("leader term") })
    }

    @Test func everyBugHasAName() {
        #expect(Set(RaftBug.allCases.map(\.rawValue)).count == RaftBug.allCases.count)
        #expect(RaftBug.allCases.allSatisfy { Self.catchBounds[$0] != nil })
    }
}
