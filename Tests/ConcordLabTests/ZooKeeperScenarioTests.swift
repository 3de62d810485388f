import ConcordSimulation
import ConcordZooKeeper
import Testing

@testable import ConcordLab

/// Randomized sweeps of the `zookeeper` scenario: simulated ZooKeeper
/// clients speaking jute bytes to real server cores under swarm faults.
/// The correct server passes every seed; a server with one of
/// `ZooKeeper.ServerBugs`' switches on is caught within a stated number of
/// seeds.
@Suite struct ZooKeeperScenarioTests {
    /// The CI sweep: 500 seeds of the shorter runs, on every processor.
    static let sweepSeeds: UInt64 = 500

    @Test func theCorrectServerPassesTheSweep() {
        let failures = Sweep.runInParallel(seeds: 0..<Self.sweepSeeds) { seed in
            let report = ZooKeeperScenario.execute(seed: seed, short: true)
            return report.passed ? nil : report.verdict
        }
        #expect(failures.isEmpty, "failing seeds \(failures.map(\.seed)): \(failures.first?.verdict ?? "")")
    }

    @Test func standardRunsExerciseSessionsMovesExpiriesAndWatches() {
        var operations = 0, notifications = 0, moves = 0, expiries = 0
        for seed: UInt64 in 0..<6 {
            let report = ZooKeeperScenario.execute(seed: seed)
            #expect(report.passed, "\(report.verdict)")
            operations += report.operations
            notifications += report.notifications
            moves += report.moves
            expiries += report.expiries
        }
        #expect(operations > 60 && notifications > 0 && moves > 10 && expiries > 3,
            "operations \(operations), watch events \(notifications), moves \(moves), expiries \(expiries)")
    }

    /// A server that sends watch events after the answers behind them is
    /// caught within these seeds (measured: 8 of seeds 0..<30, the first
    /// at seed 5).
    @Test func lateWatchEventsAreCaught() {
        BugHunt.expectCaught("deliversWatchEventsLate", within: 12) { seed in
            let report = ZooKeeperScenario.execute(seed: seed, bugs: ZooKeeper.ServerBugs(deliversWatchEventsLate: true))
            return report.passed ? nil : report.verdict
        } withoutBug: { seed in
            let report = ZooKeeperScenario.execute(seed: seed)
            return report.passed ? nil : report.verdict
        }
    }

    @Test func theSameSeedGivesTheSameTraceAndTheCLIKnowsTheScenarios() {
        let first = ZooKeeperScenario.execute(seed: 3, recordsTrace: true)
        let second = ZooKeeperScenario.execute(seed: 3, recordsTrace: true)
        #expect(first.traceHash == second.traceHash)
        #expect(first.trace.contains { $0.contains(" zk ") })
        #expect(Scenarios.named("zookeeper") != nil && Scenarios.named("zookeeper-short") != nil)
        let unknown = ZooKeeperScenario.scenario.run(ScenarioOptions(seed: 1, bug: "noSuchBug"))
        #expect(!unknown.passed && unknown.verdict.contains("acceptsClientsAhead"))
    }
}
