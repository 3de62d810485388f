/// A micro-benchmark: it measures and prints its figures with the command
/// that reproduces them. Benchmarks are not tests; `concord microbench <name>`
/// runs one (build with `-c release` for figures worth recording).
public struct Benchmark: Sendable {
    /// The name used on the command line: `concord microbench <name>`.
    public let name: String
    /// One line describing what is measured.
    public let summary: String
    /// Runs the benchmark and returns the lines of its report.
    public let run: @Sendable () -> [String]

    public init(name: String, summary: String, run: @escaping @Sendable () -> [String]) {
        self.name = name
        self.summary = summary
        self.run = run
    }
}

/// Every benchmark `concord microbench` knows.
public enum Benchmarks {
    public static let all: [Benchmark] = [
        // Each component registers its benchmarks here, one line each.
        CheckerBenchmark.benchmark,
        SimulatorBenchmark.benchmark,
        CRDTBenchmarks.gCounter, CRDTBenchmarks.orSet, CRDTBenchmarks.gossipBytes,
        TwoPhaseBenchmark.benchmark,
        MVCCStoreBenchmark.benchmark,
        RaftBenchmark.benchmark,
        TimeStudies.clockSyncAccuracy, TimeStudies.hybridClockLostWrites, TimeStudies.commitWaitCost,
    ]

    /// The benchmark with this name, if there is one.
    public static func named(_ name: String) -> Benchmark? {
        all.first { $0.name == name }
    }
}
