import ConcordChecker

/// The checker's benchmark: linearizability checks of histories recorded
/// from a correct single-copy store (so every check must say linearizable
/// and explore the whole search it needs).
enum CheckerBenchmark {
    /// How many times each case is checked; the report gives the median.
    static let repetitions = 5
    /// The seed of the generated histories.
    static let seed: UInt64 = 2026

    static let benchmark = Benchmark(
        name: "checker",
        summary: "linearizability (10,000 ops over 100 keys; 1,000 ops on one key) and session guarantees, 16 processes",
        run: run
    )

    @Sendable static func run() -> [String] {
        let cases: [(String, RandomKVHistory.Shape)] = [
            ("10000 ops, 100 keys, 16 processes", .init(operations: 10_000, keys: 100, processes: 16)),
            ("1000 ops, 1 key, 16 processes", .init(operations: 1_000, keys: 1, processes: 16)),
        ]
        var lines = ["concord microbench checker (seed \(seed), median of \(repetitions) runs)"]
        let clock = ContinuousClock()
        for (name, shape) in cases {
            let history: History
            do {
                history = try History(RandomKVHistory.events(shape, seed: seed))
            } catch {
                return lines + ["\(name): generated history is invalid: \(error)"]
            }
            var durations: [Duration] = []
            var analysis: LinearizabilityAnalysis?
            for _ in 0..<repetitions {
                durations.append(clock.measure {
                    analysis = analyzeLinearizability(history, model: .kv, budget: .default)
                })
            }
            durations.sort()
            let median = durations[durations.count / 2]
            let steps = analysis!.partitions.reduce(0) { $0 + $1.searchSteps }
            let milliseconds = Double(median.components.seconds) * 1000 + Double(median.components.attoseconds) / 1e15
            lines.append("\(name): \(analysis!.verdict), \(format(milliseconds)) ms median, \(steps) search steps, \(history.events.count) events")
            if shape.keys > 1 {
                lines.append(sessionLine(name, history, clock))
            }
        }
        return lines
    }

    /// Times the session-guarantee check of the same history.
    private static func sessionLine(_ name: String, _ history: History, _ clock: ContinuousClock) -> String {
        var durations: [Duration] = []
        var outcome = ""
        for _ in 0..<repetitions {
            durations.append(clock.measure {
                do {
                    let report = try checkSessionGuarantees(history)
                    outcome = report.holds ? "all hold" : "\(report.violations.count) violations"
                } catch {
                    outcome = "not checked: \(error)"
                }
            })
        }
        durations.sort()
        let median = durations[durations.count / 2]
        let milliseconds = Double(median.components.seconds) * 1000 + Double(median.components.attoseconds) / 1e15
        return "\(name), session guarantees: \(outcome), \(format(milliseconds)) ms median"
    }

    private static func format(_ milliseconds: Double) -> String {
        let hundredths = Int((milliseconds * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
