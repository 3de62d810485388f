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

    @Test func correctCorePassesShortSwarmRuns() {
        let failures = Sweep.runInParallel(seeds: 0..<Self.sweepSeeds) { seed in
            let report = RaftScenario.execute(seed: seed, bug: nil, recordsTrace: false, safetyPhase: RaftScenario.shortSafetyPhase)
            return report.passed ? nil : report.verdict
        }
        #expect(failures.isEmpty, "failing seeds \(failures.map(\.seed)): \(failures.first?.verdict ?? "")")
    }

    /// The seed bound within which the sweep (standard runs: a 2 s safety
    /// phase of dense swarm faults, on the server simulation) must catch
    /// each bug; the test stops at the first catch. Measured over seeds
    /// 0..<150: vote-without-log-check failed 38 seeds (first 4),
    /// apply-before-commit 33 (first 5), read-without-quorum 2 (first 73),
    /// accept-stale-append 2 (first 36).
    static let catchBounds: [RaftBug: UInt64] = [
        .voteWithoutLogCheck: 30,
        .applyBeforeCommit: 30,
        .readWithoutQuorumCheck: 150,
        .acceptStaleTermAppend: 150,
    ]

    @Test(arguments: [RaftBug.voteWithoutLogCheck, .applyBeforeCommit, .readWithoutQuorumCheck, .acceptStaleTermAppend])
    func sweepCatchesTheBug(_ bug: RaftBug) {
        BugHunt.expectCaught(bug.rawValue, within: Self.catchBounds[bug]!) { seed in
            let report = RaftScenario.execute(seed: seed, bug: bug, recordsTrace: false)
            return report.passed ? nil : report.verdict
        } withoutBug: { seed in
            let report = RaftScenario.execute(seed: seed, bug: nil, recordsTrace: false)
            return report.passed ? nil : report.verdict
        }
    }

    /// The bug-hunting profile: standard runs (2 s safety phase) whose
    /// swarm faults are joined by `RaftFaultHunter`'s crashes aimed at
    /// voters just after they grant a vote and at leaders just after their
    /// election. The correct core passes `huntingSeeds` of it, as many as
    /// the largest bound below, in chunks that run in parallel.
    static let huntingSeeds: UInt64 = 90

    @Test func correctCorePassesHuntingRuns() {
        let failures = Sweep.runInParallel(seeds: 0..<Self.huntingSeeds) { seed in
            let report = RaftScenario.execute(seed: seed, bug: nil, recordsTrace: false, profile: .hunting)
            return report.passed ? nil : report.verdict
        }
        #expect(failures.isEmpty, "failing seeds \(failures.map(\.seed)): \(failures.first?.verdict ?? "")")
    }

    /// The seed bound within which the hunting profile must catch each of
    /// these bugs; the test stops at the first catch. Measured over seeds
    /// 0..<300 on the server simulation: vote-before-durable failed 8 seeds
    /// (first 56, then 84; the monitor saw two leaders in one term: the
    /// voter crashed before its vote reached the disk and voted again),
    /// count-duplicate-vote 13 (first 19, then 44; two leaders in one term).
    static let huntingBounds: [RaftBug: UInt64] = [
        .voteBeforeDurable: huntingSeeds,
        .countDuplicateVote: 45,
    ]

    @Test(arguments: [RaftBug.voteBeforeDurable, .countDuplicateVote])
    func huntingCatchesTheBug(_ bug: RaftBug) {
        BugHunt.expectCaught(bug.rawValue, within: Self.huntingBounds[bug]!) { seed in
            let report = RaftScenario.execute(seed: seed, bug: bug, recordsTrace: false, profile: .hunting)
            return report.passed ? nil : report.verdict
        } withoutBug: { seed in
            let report = RaftScenario.execute(seed: seed, bug: nil, recordsTrace: false, profile: .hunting)
            return report.passed ? nil : report.verdict
        }
    }

    // commit-earlier-term is not caught by either profile: no failure in
    // 500 swarm seeds, nor in 150 hunting seeds. Losing a committed entry
    // needs Figure 8's exact sequence (an old-term entry reaching a
    // majority through a later leader, which then crashes before its own
    // term's entry does, and a server with a newer last term winning next).
    // `ReplicationTests.figure8CommitEarlierTermBugLosesACommittedEntry`
    // drives that sequence deterministically and shows the bug breaking
    // safety.

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
        // Every bug but commit-earlier-term (see above) has a sweep bound.
        #expect(Self.catchBounds.count + Self.huntingBounds.count + 1 == RaftBug.allCases.count)
        #expect(Set(Self.catchBounds.keys).isDisjoint(with: Self.huntingBounds.keys))
    }
}
