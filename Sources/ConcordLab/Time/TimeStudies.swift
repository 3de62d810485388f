import ConcordSimulation

/// The measurements behind docs/clocks.md: how accurate NTP-style
/// synchronization gets against link delay and asymmetry, and what commit
/// wait costs against ε. Each runs the scenario over many seeds with the
/// studied parameter fixed and reports figures of simulated (virtual) time,
/// which the seeds determine exactly: the same command prints the same table
/// on any machine.
enum TimeStudies {
    /// Seeds per row.
    static let seedsPerRow: UInt64 = 40

    static let clockSyncAccuracy = Benchmark(
        name: "clock-sync-accuracy",
        summary: "clock-sync scenario: offset error p50/p99 against link latency and asymmetry (virtual time)"
    ) {
        var lines = ["clock-sync: |offset error| over \(seedsPerRow) seeds per row, measured every "
            + "\(ClockSyncScenario.measurementInterval)s after \(ClockSyncScenario.warmUp)s; loss 5%, dup 1%, reorder 1%",
            "latency max | asymmetry max | p50 µs | p99 µs | max µs | lowest-offset filter: p50 µs | p99 µs"]
        for latencyMax in [1_000, 5_000, 10_000] as [Int64] {
            for asymmetry in [0, 500, 2_000, 5_000, 10_000] as [Int64] {
                let links = ClockSyncScenario.Links(
                    asymmetryMax: .microseconds(asymmetry),
                    network: NetworkConditions(
                        latencyMin: .microseconds(200), latencyMax: .microseconds(latencyMax), lossPerMillion: 50_000,
                        duplicationPerMillion: 10_000, reorderPerMillion: 10_000))
                var errors: [Int64] = []
                var broken: [Int64] = []
                var failed = 0
                for seed in 1...seedsPerRow {
                    let measurement = ClockSyncScenario.run(ScenarioOptions(seed: seed), links: links)
                    errors += measurement.errors
                    if !measurement.result.passed { failed += 1 }
                    broken += ClockSyncScenario.run(ScenarioOptions(seed: seed, bug: "lowest-offset"), links: links).errors
                }
                lines.append("\(latencyMax / 1_000) ms | \(Double(asymmetry) / 1_000) ms | "
                    + "\(ClockSyncScenario.percentile(errors, 50) / 1_000) | \(ClockSyncScenario.percentile(errors, 99) / 1_000) | "
                    + "\((errors.max() ?? 0) / 1_000) | \(ClockSyncScenario.percentile(broken, 50) / 1_000) | "
                    + "\(ClockSyncScenario.percentile(broken, 99) / 1_000)" + (failed > 0 ? " (\(failed) runs failed)" : ""))
            }
        }
        lines.append("reproduce: swift run -c release concord microbench clock-sync-accuracy")
        return lines
    }

    static let hybridClockLostWrites = Benchmark(
        name: "hlc-lost-writes",
        summary: "hlc scenario: how often LWW by physical time keeps a write over a causally later one, and HLC never"
    ) {
        let seeds: UInt64 = 2_000
        var seedsWithLoss = 0
        var lost = 0
        var writes = 0
        var failed = 0
        for seed in 1...seeds {
            let measurement = HybridClockScenario.run(ScenarioOptions(seed: seed))
            if measurement.physicalLostWrites > 0 { seedsWithLoss += 1 }
            lost += measurement.physicalLostWrites
            writes += measurement.writes
            if !measurement.result.passed { failed += 1 }
        }
        return [
            "hlc: seeds 1...\(seeds), \(writes) writes",
            "LWW by physical time kept a write over a causally later one at \(seedsWithLoss) seeds (\(lost) replica-write pairs)",
            "LWW by HLC: \(failed) failing seeds (the scenario fails a run on any such loss)",
            "reproduce: swift run -c release concord microbench hlc-lost-writes",
        ]
    }

    static let commitWaitCost = Benchmark(
        name: "commit-wait-cost",
        summary: "commit-wait scenario: commit wait and client latency against ε (virtual time)"
    ) {
        var lines = ["commit-wait: \(seedsPerRow) seeds per row; wait = true time from timestamp to visibility at the server "
            + "(a paused server's waits stretch: see the mean); latency = at the client, retries after loss included",
                     "ε ms | median wait ms | median wait / ε | mean wait ms | median latency ms | mean latency ms | failed runs"]
        for epsilon in [1, 2, 5, 10, 20] as [Int64] {
            var waits: [Int64] = []
            var latencies: [Int64] = []
            var failed = 0
            for seed in 1...seedsPerRow {
                let measurement = CommitWaitScenario.run(ScenarioOptions(seed: seed), epsilon: epsilon * 1_000_000)
                waits += measurement.waits
                latencies += measurement.latencies
                if !measurement.result.passed { failed += 1 }
            }
            let medianWait = ClockSyncScenario.percentile(waits, 50)
            let meanWait = waits.reduce(0, +) / Int64(max(1, waits.count))
            let meanLatency = latencies.reduce(0, +) / Int64(max(1, latencies.count))
            lines.append("\(epsilon) | \(CommitWaitScenario.milliseconds(medianWait)) | "
                + "\(CommitWaitScenario.twoDecimals(Double(medianWait) / Double(epsilon * 1_000_000))) | "
                + "\(CommitWaitScenario.milliseconds(meanWait)) | "
                + "\(CommitWaitScenario.milliseconds(ClockSyncScenario.percentile(latencies, 50))) | "
                + "\(CommitWaitScenario.milliseconds(meanLatency)) | \(failed)")
        }
        lines.append("reproduce: swift run -c release concord microbench commit-wait-cost")
        return lines
    }
}
