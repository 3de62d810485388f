import ConcordSimulation
import ConcordTransactions

/// Two-phase commit throughput in the simulator: how many transactions
/// commit per second of wall time with one coordinator and three
/// participants, no faults and every vote yes. It measures the cores, the
/// adapter and the simulator together (every message, disk sync and tick is
/// an event).
enum TwoPhaseBenchmark {
    static let transactions = 5_000
    static let repetitions = 3
    static let seed: UInt64 = 2026

    static let benchmark = Benchmark(
        name: "2pc",
        summary: "two-phase commit in simulation: commits per second of wall time, 3 participants, no faults",
        run: run)

    @Sendable static func run() -> [String] {
        var configuration = CommitConfiguration()
        configuration.transactions = transactions
        configuration.requestInterval = .microseconds(500)
        configuration.noVotePerMillion = 0
        let fixed = configuration
        let clock = ContinuousClock()
        var results: [(duration: Duration, commits: Int, events: Int, virtual: SimulationInstant)] = []
        for _ in 0..<repetitions {
            var commits = 0, events = 0
            var virtual = SimulationInstant.zero
            let duration = clock.measure {
                var simulator = Simulator<CommitNode<TwoPhaseCommit>>(
                    seed: seed, nodeIDs: fixed.servers + [CommitConfiguration.client], recordsTrace: false,
                    makeNode: { id, durable, context in
                        CommitNode<TwoPhaseCommit>(id: id, durable: durable, configuration: fixed, context: &context)
                    })
                let end = SimulationInstant.zero + fixed.requestInterval * Int64(transactions) + .milliseconds(500)
                simulator.run(until: end)
                if case .coordinator(let log, _)? = simulator.durableState(of: CommitConfiguration.coordinator) {
                    commits = TwoPhaseCommit.decisions(in: log.records).count
                }
                events = simulator.eventsHandled
                virtual = simulator.now
            }
            results.append((duration, commits, events, virtual))
        }
        results.sort { $0.duration < $1.duration }
        let median = results[results.count / 2]
        let seconds = Double(median.duration.components.seconds) + Double(median.duration.components.attoseconds) / 1e18
        return [
            "concord microbench 2pc (seed \(seed), median of \(repetitions) runs)",
            "\(median.commits) of \(transactions) transactions committed in \(format(seconds * 1000)) ms of wall time "
                + "(\(median.virtual)s virtual, \(median.events) simulator events)",
            "\(Int(Double(median.commits) / seconds)) commits/s of wall time, \(Int(Double(median.events) / seconds)) events/s",
        ]
    }

    private static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
