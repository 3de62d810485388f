import ConcordRaft
import ConcordSimulation

/// The Raft benchmark, on the real server core in the simulator: the
/// throughput of a fault-free 3-member cluster (committed commands per wall
/// second of simulation, with batching), peer frames per committed command,
/// and the time to elect a new leader after the leader crashes.
enum RaftBenchmark {
    /// Virtual time of the throughput run.
    static let throughputDuration = SimulationDuration.seconds(5)
    /// Clients of the throughput run (each has one operation outstanding).
    static let throughputClients = 32
    /// Leader crashes measured.
    static let electionTrials = 200
    /// The seed of the runs.
    static let seed: UInt64 = 2026

    static let benchmark = Benchmark(
        name: "raft",
        summary: "Raft under the server core: committed ops per wall second (3 members, simulated, batched), frames per op, election ticks after a leader crash",
        run: run
    )

    @Sendable static func run() -> [String] {
        var lines = ["concord microbench raft (seed \(seed))"]
        lines += throughput()
        lines += electionTimes()
        return lines
    }

    static func settings(clients: Int, stopAt: SimulationInstant) -> ServerLabSettings {
        var raft = RaftConfiguration(id: 1)
        raft.electionTimeoutTicks = 10
        raft.heartbeatIntervalTicks = 2
        var settings = ServerLabSettings(
            founders: [1, 2, 3], spare: nil, clients: Array(100..<(100 + clients)), leaseClients: [], watchers: [], admin: nil,
            finalReader: 100 + clients, raft: raft, clientsStopAt: stopAt)
        settings.thinkTimeMax = .microseconds(1)
        settings.keys = (0..<64).map { "k\($0)" }
        settings.compactionOneIn = 1_000_000
        settings.snapshotEveryEntries = 10_000
        settings.segmentBytes = 1 << 20
        return settings
    }

    static func makeSimulator(seed: UInt64, settings: ServerLabSettings) -> Simulator<ServerLabNode> {
        ServerScenario.makeSimulator(
            seed: seed, settings: settings, monitor: ServerLabMonitor(), recordsTrace: false, finalReadAt: .zero + .seconds(3600))
    }

    static func throughput() -> [String] {
        let end = SimulationInstant.zero + throughputDuration
        let settings = settings(clients: throughputClients, stopAt: end)
        var simulator = makeSimulator(seed: seed, settings: settings)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            simulator.run(until: end)
        }
        var frames = 0
        var committed: UInt64 = 0
        for server in settings.servers {
            guard let node = simulator.node(server)?.server else { continue }
            frames += node.framesSent
            committed = max(committed, node.core?.appliedIndex ?? 0)
        }
        var completed = 0
        for client in settings.clients {
            guard case .client(let node) = simulator.node(client) else { continue }
            completed += node.history.events.filter { $0.kind != .invoke }.count
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let perSecond = Int((Double(committed) / seconds).rounded())
        let perOperation = committed > 0 ? Double(frames) / Double(committed) : 0
        return [
            "throughput: \(committed) entries committed and applied, \(completed) client operations completed in \(throughputDuration) of virtual time",
            "  wall time \(format(seconds * 1000)) ms: \(perSecond) committed entries per wall second",
            "  peer frames per committed entry: \(format(perOperation)) (\(frames) frames, \(simulator.eventsHandled) simulator events)",
        ]
    }

    static func electionTimes() -> [String] {
        var ticks: [Int] = []
        var unresolved = 0
        func leads(_ simulator: borrowing Simulator<ServerLabNode>, _ server: NodeID) -> Bool {
            simulator.node(server)?.server?.core?.role == .leader
        }
        for trial in 0..<electionTrials {
            let settings = settings(clients: 0, stopAt: .zero)
            var simulator = makeSimulator(seed: seed &+ UInt64(trial), settings: settings)
            simulator.run(until: .zero + .milliseconds(500))
            guard let leader = settings.servers.first(where: { leads(simulator, $0) }) else {
                unresolved += 1
                continue
            }
            let crashedAt = simulator.now
            simulator.crash(leader)
            simulator.run(until: crashedAt + .seconds(5)) { simulator in
                !settings.servers.contains { $0 != leader && leads(simulator, $0) }
            }
            guard settings.servers.contains(where: { $0 != leader && leads(simulator, $0) }) else {
                unresolved += 1
                continue
            }
            let waited = simulator.now - crashedAt
            ticks.append(Int(waited.nanoseconds / settings.tick.nanoseconds))
        }
        ticks.sort()
        guard !ticks.isEmpty else { return ["election: no trial elected a new leader"] }
        func percentile(_ fraction: Double) -> Int { ticks[min(ticks.count - 1, Int(Double(ticks.count) * fraction))] }
        return [
            "election after a leader crash (\(ticks.count) trials, election timeout 10 ticks of 10 ms, PreVote and CheckQuorum on):",
            "  ticks until a new leader: min \(ticks.first!) p50 \(percentile(0.5)) p90 \(percentile(0.9)) p99 \(percentile(0.99)) max \(ticks.last!)"
                + (unresolved > 0 ? ", \(unresolved) trials unresolved" : ""),
        ]
    }

    private static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
