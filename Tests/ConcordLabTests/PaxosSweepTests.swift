import ConcordPaxos
import ConcordSimulation
import Testing
@testable import ConcordLab

/// Randomized sweeps of the `paxos`, `multi-paxos` and `fast-paxos`
/// scenarios: the correct cores pass every seed, and each test-only bug is
/// caught within a stated number of seeds.
@Suite struct PaxosSweepTests {
    /// The three scenarios.
    enum Family: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case paxos = "paxos"
        case multiPaxos = "multi-paxos"
        case fastPaxos = "fast-paxos"

        var testDescription: String { rawValue }

        func execute(seed: UInt64, bug: PaxosBug?, short: Bool = false) -> PaxosLabRun.Report {
            switch self {
            case .paxos:
                PaxosScenario.execute(
                    seed: seed, bug: bug, recordsTrace: false,
                    safetyPhase: short ? PaxosScenario.shortSafetyPhase : PaxosScenario.safetyPhase)
            case .multiPaxos:
                MultiPaxosScenario.execute(
                    seed: seed, bug: bug, recordsTrace: false,
                    safetyPhase: short ? MultiPaxosScenario.shortSafetyPhase : MultiPaxosScenario.safetyPhase)
            case .fastPaxos:
                FastPaxosScenario.execute(
                    seed: seed, bug: bug, recordsTrace: false,
                    safetyPhase: short ? FastPaxosScenario.shortSafetyPhase : FastPaxosScenario.safetyPhase)
            }
        }
    }

    /// The CI sweep: 500 seeds of short runs (a 300 ms safety phase of dense
    /// swarm faults, half of them with the hunter's aimed crashes, then the
    /// liveness phase) per scenario, in chunks that run in parallel.
    static let sweepSeeds: UInt64 = 500
    static let sweepChunks: UInt64 = 10

    @Test(arguments: Family.allCases, 0..<sweepChunks)
    func correctCoresPassShortSwarmRuns(_ family: Family, chunk: UInt64) {
        let size = Self.sweepSeeds / Self.sweepChunks
        var verdicts: [String] = []
        let failures = Sweep.run(seeds: (chunk * size)..<((chunk + 1) * size)) { seed in
            let report = family.execute(seed: seed, bug: nil, short: true)
            if !report.passed { verdicts.append(report.verdict) }
            return report.passed
        }
        #expect(failures.isEmpty, "\(family.rawValue) failing seeds \(failures): \(verdicts.first ?? "")")
    }

    /// The seed bound within which the sweep (standard runs: a 2 s safety
    /// phase, seeds counted from 0) must catch each bug; the test stops at
    /// the first catch. docs/paxos.md gives the measured rates.
    static let catchBounds: [PaxosBugCatch] = [
        PaxosBugCatch(.paxos, .acceptLowerBallot, within: 10),
        PaxosBugCatch(.paxos, .ignoreHighestAccepted, within: 20),
        PaxosBugCatch(.paxos, .answerBeforeDurable, within: 200),
        PaxosBugCatch(.paxos, .nonIntersectingQuorums, within: 20),
        PaxosBugCatch(.multiPaxos, .skipPhaseOneRecovery, within: 20),
        PaxosBugCatch(.multiPaxos, .nonIntersectingQuorums, within: 30),
        PaxosBugCatch(.multiPaxos, .acceptLowerBallot, within: 100),
        PaxosBugCatch(.multiPaxos, .answerBeforeDurable, within: 30),
        PaxosBugCatch(.fastPaxos, .fastQuorumTooSmall, within: 100),
        PaxosBugCatch(.fastPaxos, .answerBeforeDurable, within: 40),
    ]

    @Test(arguments: catchBounds)
    func sweepCatchesTheBug(_ hunt: PaxosBugCatch) {
        var caught: (seed: UInt64, verdict: String)?
        for seed in 0..<hunt.bound {
            let report = hunt.family.execute(seed: seed, bug: hunt.bug)
            // A catch is a safety failure (the monitor or the checker); a
            // run that only missed the liveness bound does not count.
            if report.safetyViolated {
                caught = (seed, report.verdict)
                break
            }
        }
        guard let caught else {
            Issue.record("\(hunt.bug.rawValue) was not caught by \(hunt.family.rawValue) within \(hunt.bound) seeds")
            return
        }
        // The same seed passes without the bug: the bug, not the run, failed it.
        let correct = hunt.family.execute(seed: caught.seed, bug: nil)
        #expect(correct.passed, "seed \(caught.seed) also fails without \(hunt.bug.rawValue): \(correct.verdict)")
    }

    @Test func everyBugIsHuntedByAScenarioThatKnowsIt() {
        for bug in PaxosBug.allCases {
            #expect(Self.catchBounds.contains { $0.bug == bug }, "\(bug.rawValue) has no sweep bound")
        }
        for hunt in Self.catchBounds {
            let known: [PaxosBug] =
                switch hunt.family {
                case .paxos: PaxosScenario.bugs
                case .multiPaxos: MultiPaxosScenario.bugs
                case .fastPaxos: FastPaxosScenario.bugs
                }
            #expect(known.contains(hunt.bug))
        }
    }

    @Test(arguments: Family.allCases)
    func theSameSeedGivesTheSameTrace(_ family: Family) {
        let first = family.execute(seed: 7, bug: nil, short: true)
        let second = family.execute(seed: 7, bug: nil, short: true)
        let other = family.execute(seed: 8, bug: nil, short: true)
        #expect(first.traceHash == second.traceHash && first.verdict == second.verdict)
        #expect(first.traceHash != other.traceHash)
    }

    @Test(arguments: Family.allCases)
    func theScenarioIsRegisteredAndRefusesUnknownBugs(_ family: Family) {
        let scenario = Scenarios.named(family.rawValue)
        #expect(scenario != nil)
        let refused = scenario!.run(ScenarioOptions(seed: 1, bug: "no-such-bug"))
        #expect(!refused.passed && refused.verdict.contains("unknown bug"))
        if family == .fastPaxos {
            let wrongCore = scenario!.run(ScenarioOptions(seed: 1, bug: PaxosBug.skipPhaseOneRecovery.rawValue))
            #expect(!wrongCore.passed && wrongCore.verdict.contains("unknown bug"))
        }
    }
}

/// One bug hunt: the scenario, the bug, and the seed bound.
struct PaxosBugCatch: Sendable, CustomTestStringConvertible {
    var family: PaxosSweepTests.Family
    var bug: PaxosBug
    var bound: UInt64

    init(_ family: PaxosSweepTests.Family, _ bug: PaxosBug, within bound: UInt64) {
        self.family = family
        self.bug = bug
        self.bound = bound
    }

    var testDescription: String { "\(family.rawValue) \(bug.rawValue)" }
}
