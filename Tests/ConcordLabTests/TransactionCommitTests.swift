import ConcordSimulation
import ConcordTransactions
import Testing
@testable import ConcordLab

@Suite("Commit protocols in simulation")
struct TransactionCommitTests {
    /// Seeds per sweep: enough to meet every kind of fault, few enough for a debug build.
    static let sweepSeeds: Range<UInt64> = 0..<40

    static func failures(_ scenario: Scenario, seeds: Range<UInt64> = sweepSeeds, bug: String? = nil) -> [(UInt64, String)] {
        seeds.compactMap { seed in
            let result = scenario.run(ScenarioOptions(seed: seed, bug: bug))
            return result.passed ? nil : (seed, result.verdict)
        }
    }

    @Test func twoPhaseCommitKeepsAtomicityAndTerminatesUnderEveryFault() {
        let failures = Self.failures(TransactionScenarios.twoPhase)
        #expect(failures.isEmpty, "\(failures.prefix(3)); replay: concord sim 2pc --seed <seed> --timeline")
    }

    /// Seeds on which wider sweeps once found bugs: participants
    /// acknowledging a resent commit before their commit record was durable
    /// (168, 212, 216), and a transaction identifier reused after a
    /// coordinator restart because the network duplicated a request (626).
    @Test(arguments: [168, 212, 216, 626] as [UInt64])
    func seedsThatOnceFoundABugStayFixed(_ seed: UInt64) {
        let result = TransactionScenarios.twoPhase.run(ScenarioOptions(seed: seed))
        #expect(result.passed, "\(result.verdict); replay: concord sim 2pc --seed \(seed)")
    }

    @Test(arguments: ["forget-yes-vote", "decision-before-log"])
    func theTwoPhaseSweepCatchesAReintroducedBug(_ bug: String) {
        let failures = Self.failures(TransactionScenarios.twoPhase, seeds: 0..<60, bug: bug)
        #expect(!failures.isEmpty, "the sweep missed the '\(bug)' bug in 60 seeds")
        print("2pc bug \(bug): caught by \(failures.count) of 60 seeds, first \(failures.first.map { "\($0.0): \($0.1)" } ?? "-")")
    }

    @Test func theCoordinatorCrashBlocksParticipantsUntilItReturns() {
        let result = TransactionScenarios.twoPhaseBlocking.run(ScenarioOptions(seed: 1))
        #expect(result.passed, "\(result.verdict)")
    }

    @Test func threePhaseCommitTerminatesWithoutTheCoordinatorUnderCrashes() {
        let failures = Self.failures(TransactionScenarios.threePhase)
        #expect(failures.isEmpty, "\(failures.prefix(3)); replay: concord sim 3pc --seed <seed> --timeline")
    }

    @Test func threePhaseCommitFinishesWhereTwoPhaseCommitBlocks() {
        var configuration = CommitConfiguration()
        configuration.transactions = 1
        configuration.noVotePerMillion = 0
        let coordinator = CommitConfiguration.coordinator
        // The same fault for both: every vote arrives, the coordinator logs
        // its next step and crashes for good before anyone hears it.
        var three = Script<ThreePhaseCommit>(seed: 5, configuration: configuration, record: false)
        let preCommitting = three.run(for: .seconds(1), until: { ($0.node(coordinator)?.loggedRecordCount ?? 0) > 0 })
        #expect(preCommitting)
        three.apply(.crash(coordinator))
        three.run(for: .seconds(2))
        let threeChecker = CommitRun<ThreePhaseCommit>.check(three.simulator, configuration)
        #expect(threeChecker.violations.isEmpty)
        for participant in configuration.participants {
            #expect(three.simulator.node(participant)?.undecided == [], "n\(participant) blocked under 3PC")
            #expect(threeChecker.decided[.init(1)]?[participant] != nil)
        }

        var two = Script<TwoPhaseCommit>(seed: 5, configuration: configuration, record: false)
        let decided = two.run(for: .seconds(1), until: { !($0.node(coordinator)?.loggedDecisions.isEmpty ?? true) })
        #expect(decided)
        two.apply(.crash(coordinator))
        two.run(for: .seconds(2))
        for participant in configuration.participants {
            #expect(two.simulator.node(participant)?.undecided == [.init(1)], "n\(participant) decided under 2PC")
        }
    }

    @Test func aPartitionMakesThreePhaseCommitDecideBothWays() {
        let result = TransactionScenarios.threePhasePartition.run(ScenarioOptions(seed: 1))
        #expect(result.passed, "\(result.verdict)")
    }

    @Test func aSweepWithPartitionsFindsThreePhaseCommitSplitting() {
        let split = Self.sweepSeeds.first { !CommitScenarios.threePhaseUnderPartitions(seed: $0).passed }
        #expect(split != nil, "no seed split three-phase commit under partitions")
    }

    @Test func aCommitRunIsReplayableFromItsSeed() {
        let first = TransactionScenarios.twoPhase.run(ScenarioOptions(seed: 7))
        let second = TransactionScenarios.twoPhase.run(ScenarioOptions(seed: 7))
        let other = TransactionScenarios.twoPhase.run(ScenarioOptions(seed: 8))
        #expect(first.traceHash == second.traceHash)
        #expect(first.traceHash != other.traceHash)
    }

    @Test func anUnknownBugIsRefused() {
        let result = TransactionScenarios.twoPhase.run(ScenarioOptions(seed: 1, bug: "no-such-bug"))
        #expect(!result.passed)
        #expect(result.verdict.contains("unknown bug"))
    }
}
