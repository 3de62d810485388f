import ConcordSimulation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The simulator's own benchmark: events handled per second of wall time on a
/// message-heavy run, all-to-all pings among five nodes.
enum SimulatorBenchmark {
    static let nodeCount = 5
    static let virtualDuration = SimulationDuration.seconds(60)
    static let command = "swift run -c release concord microbench simulator"

    static let benchmark = Benchmark(
        name: "simulator",
        summary: "simulator events per second: all-to-all pings among 5 nodes"
    ) {
        var lines = ["simulator: all-to-all pings among \(nodeCount) nodes for \(virtualDuration)s of virtual time"]
        for recordsTrace in [false, true] {
            let wallClock = ContinuousClock()
            let started = wallClock.now
            let cpuStarted = clock()
            var sim = Simulator<PingNode>(seed: 1, nodeIDs: Array(0..<nodeCount), recordsTrace: recordsTrace)
            sim.run(until: .zero + virtualDuration)
            let cpuSeconds = Double(clock() - cpuStarted) / Double(CLOCKS_PER_SEC)
            let elapsed = wallClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = Int((Double(sim.eventsHandled) / seconds).rounded())
            let cpuRate = Int((Double(sim.eventsHandled) / cpuSeconds).rounded())
            let mode = recordsTrace ? "trace kept" : "hash only "
            lines.append(
                "  \(mode): \(sim.eventsHandled) events in \(Int(seconds * 1_000)) ms wall, \(Int(cpuSeconds * 1_000)) ms CPU: "
                    + "\(rate) events/s wall, \(cpuRate) events per CPU second (trace hash \(String(sim.traceHash, radix: 16)))"
            )
        }
        lines.append("reproduce: \(command)")
        return lines
    }
}
