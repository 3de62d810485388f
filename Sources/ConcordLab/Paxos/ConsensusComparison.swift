import ConcordFoundation
import ConcordPaxos
import ConcordRaft
import ConcordSimulation

/// `concord sim compare-consensus`: Raft against the Paxos family, measured
/// side by side in the simulator on the same key-value workload, the same
/// link latencies (1–5 ms one way, uniform), the same disks (syncs of
/// 0.1–2 ms) and the same faults. Raft (`RaftComparisonServer`) and
/// Multi-Paxos run on the same server shell (batching, compaction, reads
/// after a read index: ReadIndex for Raft, read quorums for Multi-Paxos);
/// the single-decree log and Fast Paxos put reads through the log.
///
/// Every figure comes from runs derived from one seed; the wall-clock
/// throughput depends on the machine and the build.
public enum ConsensusComparison {
    /// The name on the command line: `concord sim compare-consensus`.
    public static let name = "compare-consensus"
    /// One line describing the report.
    public static let summary = "Raft, Multi-Paxos, per-slot Paxos and Fast Paxos measured side by side (prints a table)"
    /// The servers of every run.
    static let serverCount = 3
    /// The clients of the steady-state runs (each one operation at a time).
    static let clientCount = 4
    /// Virtual time of a steady-state run.
    static let steadyDuration = SimulationDuration.seconds(3)
    /// Leader crashes measured per engine.
    static let crashTrials = 20
    /// When the leader is crashed or cut off in the fault runs.
    static let faultAt = SimulationDuration.seconds(1)
    /// How long the leader is cut off in the partition runs.
    static let partitionLength = SimulationDuration.seconds(1)
    /// The window before a fault whose completions are the baseline.
    static let baselineWindow = SimulationDuration.milliseconds(400)
    /// Client counts of the Fast Paxos contention runs.
    static let contentionClients = [1, 2, 4, 8, 16]
    /// Message header bytes counted for every message (sender, receiver,
    /// ballot or term, kind), and per log entry carried (slot, ballot).
    static let headerBytes = 24
    static let entryHeaderBytes = 16

    /// The engines compared.
    enum Engine: String, CaseIterable, Sendable {
        case raft = "Raft"
        case multiPaxos = "Multi-Paxos"
        case paxos = "Paxos (per slot)"
        case fastPaxos = "Fast Paxos"
    }

    /// Runs every measurement and returns the report's lines.
    public static func report(seed: UInt64) -> [String] {
        var lines = [
            "concord sim compare-consensus (seed \(seed)): \(serverCount) servers, \(clientCount) closed-loop clients, 64 keys,",
            "  40% get / 30% put / 10% delete / 20% cas, links 1-5 ms one way (mean round trip 6 ms), disk syncs 0.1-2 ms",
            "",
        ]
        var steady: [Engine: SteadyFigures] = [:]
        for engine in Engine.allCases {
            steady[engine] = measureSteady(engine, seed: seed, clients: clientCount)
        }
        lines.append(pad(["engine", "msgs/op", "bytes/op", "p50 ms", "p99 ms", "p50 RTT", "p99 RTT", "ops/wall s"]))
        for engine in Engine.allCases {
            let figures = steady[engine]!
            lines.append(
                pad([
                    engine.rawValue, format(figures.messagesPerOperation), format(figures.bytesPerOperation),
                    format(figures.p50Milliseconds), format(figures.p99Milliseconds),
                    format(figures.p50Milliseconds / meanRoundTripMilliseconds),
                    format(figures.p99Milliseconds / meanRoundTripMilliseconds), "\(figures.operationsPerWallSecond)",
                ]))
        }
        lines.append("")
        lines.append("after a crash of the leader (of server 1 for the leaderless log), \(crashTrials) trials:")
        lines.append(pad(["engine", "resume p50 ms", "resume max ms", "unresolved"]))
        for engine in Engine.allCases {
            let resume = measureResume(engine, seed: seed)
            lines.append(pad([engine.rawValue, format(resume.p50), format(resume.max), "\(resume.unresolved)"]))
        }
        lines.append("")
        lines.append("while the leader (server 1 for the leaderless log) is cut off from the other servers for \(partitionLength.nanoseconds / 1_000_000) ms:")
        lines.append(pad(["engine", "ops before/s", "ops during/s", "availability"]))
        for engine in Engine.allCases {
            let partition = measurePartition(engine, seed: seed)
            let share = partition.before > 0 ? Double(partition.during) / Double(partition.before) : 0
            lines.append(pad([engine.rawValue, "\(partition.before)", "\(partition.during)", "\(Int((share * 100).rounded()))%"]))
        }
        lines.append("")
        lines.append("Fast Paxos against Multi-Paxos as concurrent clients grow (fault-free):")
        lines.append(pad(["clients", "fast slots", "collisions", "collision rate", "Fast p50 ms", "Fast p99 ms", "Multi p50 ms", "Multi p99 ms"]))
        for clients in contentionClients {
            let fast = measureSteady(.fastPaxos, seed: seed, clients: clients)
            let multi = measureSteady(.multiPaxos, seed: seed, clients: clients)
            let decided = fast.fastDecisions + fast.classicDecisions
            let rate = decided > 0 ? Double(fast.collisions) / Double(decided) : 0
            lines.append(
                pad([
                    "\(clients)", "\(fast.fastDecisions)", "\(fast.collisions)", "\(format(rate * 100))%",
                    format(fast.p50Milliseconds), format(fast.p99Milliseconds), format(multi.p50Milliseconds),
                    format(multi.p99Milliseconds),
                ]))
        }
        return lines
    }

    // MARK: Runs

    /// The network and disk of every comparison run.
    static let network = NetworkConditions(latencyMin: .milliseconds(1), latencyMax: .milliseconds(5))
    static let disk = DiskConditions()
    static var meanRoundTripMilliseconds: Double {
        Double(network.latencyMin.nanoseconds + network.latencyMax.nanoseconds) / 1_000_000
    }

    struct SteadyFigures {
        var operations = 0
        var messagesPerOperation = 0.0
        var bytesPerOperation = 0.0
        var p50Milliseconds = 0.0
        var p99Milliseconds = 0.0
        var operationsPerWallSecond = 0
        var fastDecisions = 0
        var classicDecisions = 0
        var collisions = 0
    }

    /// Counts the messages between servers a run delivers, and their bytes.
    final class MessageMeter: @unchecked Sendable {
        var messages = 0
        var bytes = 0

        func count(entries: Int, payloadBytes: Int) {
            messages += 1
            bytes += ConsensusComparison.headerBytes + entries * ConsensusComparison.entryHeaderBytes + payloadBytes
        }
    }

    /// A run of one engine, wrapped so that every measurement drives the
    /// engines alike.
    struct Run {
        var step: (SimulationInstant) -> Void
        var latencies: () -> [Int64]
        var latenciesSince: (SimulationInstant) -> [(invoked: SimulationInstant, completed: SimulationInstant)]
        var leader: () -> NodeID?
        var crash: (NodeID) -> Void
        var partition: ([[NodeID]]) -> Void
        var heal: () -> Void
        var fastStatistics: () -> (fast: Int, classic: Int, collisions: Int)
    }

    static func measureSteady(_ engine: Engine, seed: UInt64, clients: Int) -> SteadyFigures {
        let meter = MessageMeter()
        let end = SimulationInstant.zero + steadyDuration
        let run = makeRun(engine, seed: seed, clients: clients, stopAt: end, meter: meter)
        let clock = ContinuousClock()
        let elapsed = clock.measure { run.step(end) }
        var latencies = run.latencies()
        latencies.sort()
        var figures = SteadyFigures()
        figures.operations = latencies.count
        guard !latencies.isEmpty else { return figures }
        let count = Double(latencies.count)
        figures.messagesPerOperation = Double(meter.messages) / count
        figures.bytesPerOperation = Double(meter.bytes) / count
        figures.p50Milliseconds = Double(latencies[latencies.count / 2]) / 1_000_000
        figures.p99Milliseconds = Double(latencies[min(latencies.count - 1, latencies.count * 99 / 100)]) / 1_000_000
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        figures.operationsPerWallSecond = seconds > 0 ? Int((count / seconds).rounded()) : 0
        let statistics = run.fastStatistics()
        figures.fastDecisions = statistics.fast
        figures.classicDecisions = statistics.classic
        figures.collisions = statistics.collisions
        return figures
    }

    static func measureResume(_ engine: Engine, seed: UInt64) -> (p50: Double, max: Double, unresolved: Int) {
        var waits: [Double] = []
        var unresolved = 0
        for trial in 0..<crashTrials {
            let crashAt = SimulationInstant.zero + faultAt
            let end = crashAt + .seconds(3)
            let run = makeRun(engine, seed: seed &+ UInt64(trial), clients: clientCount, stopAt: end, meter: MessageMeter())
            run.step(crashAt)
            let victim = run.leader() ?? 1
            run.crash(victim)
            run.step(end)
            let after = run.latenciesSince(crashAt)
            guard let first = after.map(\.completed).min() else {
                unresolved += 1
                continue
            }
            waits.append(Double((first - crashAt).nanoseconds) / 1_000_000)
        }
        waits.sort()
        guard !waits.isEmpty else { return (0, 0, unresolved) }
        return (waits[waits.count / 2], waits.last!, unresolved)
    }

    static func measurePartition(_ engine: Engine, seed: UInt64) -> (before: Int, during: Int) {
        let cutAt = SimulationInstant.zero + faultAt
        let healAt = cutAt + partitionLength
        let run = makeRun(engine, seed: seed, clients: clientCount, stopAt: healAt, meter: MessageMeter())
        run.step(cutAt)
        let isolated = run.leader() ?? 1
        let others = (1...serverCount).filter { $0 != isolated }
        run.partition([[isolated], others])
        run.step(healAt)
        let completions = run.latenciesSince(.zero).map(\.completed)
        // The baseline is the steady state just before the cut (the first
        // half second of a run includes the first election).
        let windowStart = cutAt - baselineWindow
        let before = completions.filter { $0 >= windowStart && $0 < cutAt }.count
        let during = completions.filter { $0 >= cutAt && $0 < healAt }.count
        let perSecond = { (count: Int, window: SimulationDuration) in Int(Int64(count) * 1_000_000_000 / window.nanoseconds) }
        return (perSecond(before, baselineWindow), perSecond(during, partitionLength))
    }

    // MARK: Engines

    static func makeRun(_ engine: Engine, seed: UInt64, clients: Int, stopAt: SimulationInstant, meter: MessageMeter) -> Run {
        let servers = Array(1...serverCount)
        let clientIDs = Array(101..<(101 + clients))
        switch engine {
        case .raft:
            var configuration = RaftConfiguration(id: 1)
            configuration.electionTimeoutTicks = 10
            configuration.heartbeatIntervalTicks = 2
            configuration.proposalForwarding = .reject
            let settings = comparisonSettings(servers: servers, clients: clientIDs, stopAt: stopAt)
            return paxosRun(seed: seed, settings: settings, meter: meter, count: { countRaft($0.message, $1) }) { id, durable, context in
                RaftComparisonServer(id: id, durable: durable, configuration: configuration, settings: settings, context: &context)
            }
        case .multiPaxos:
            var configuration = MultiPaxosConfiguration(id: 1, replicas: servers.map { ReplicaID($0) })
            configuration.electionTimeoutTicks = 10
            configuration.heartbeatIntervalTicks = 2
            configuration.forwardsProposals = false
            let settings = comparisonSettings(servers: servers, clients: clientIDs, stopAt: stopAt)
            let monitor = PaxosSafetyMonitor()
            return paxosRun(seed: seed, settings: settings, meter: meter, count: countMultiPaxos) { id, durable, context in
                MultiPaxosKVServer(id: id, durable: durable, configuration: configuration, settings: settings, monitor: monitor, context: &context)
            }
        case .paxos:
            let configuration = PaxosConfiguration(id: 1, replicas: servers.map { ReplicaID($0) })
            let settings = comparisonSettings(servers: servers, clients: clientIDs, stopAt: stopAt)
            let monitor = PaxosSafetyMonitor()
            return paxosRun(seed: seed, settings: settings, meter: meter, count: countPaxos) { id, durable, context in
                PaxosKVServer(id: id, durable: durable, configuration: configuration, settings: settings, monitor: monitor, context: &context)
            }
        case .fastPaxos:
            var configuration = FastPaxosConfiguration(id: 1, replicas: servers.map { ReplicaID($0) })
            configuration.electionTimeoutTicks = 10
            configuration.heartbeatIntervalTicks = 2
            var settings = comparisonSettings(servers: servers, clients: clientIDs, stopAt: stopAt)
            settings.clientsBroadcast = true
            let monitor = PaxosSafetyMonitor()
            return paxosRun(seed: seed, settings: settings, meter: meter, count: countFastPaxos) { id, durable, context in
                FastPaxosKVServer(id: id, durable: durable, configuration: configuration, settings: settings, monitor: monitor, context: &context)
            }
        }
    }

    static func comparisonSettings(servers: [NodeID], clients: [NodeID], stopAt: SimulationInstant) -> PaxosLabSettings {
        var settings = PaxosLabSettings(servers: servers, clients: clients, clientsStopAt: stopAt)
        settings.thinkTimeMax = .nanoseconds(0)
        settings.requestTimeout = .milliseconds(50)
        settings.keys = (0..<64).map { "k\($0)" }
        return settings
    }

    static func paxosRun<Server: PaxosLabServer>(
        seed: UInt64, settings: PaxosLabSettings, meter: MessageMeter, count: @escaping (Server.Peer, MessageMeter) -> Void,
        makeServer: @escaping (NodeID, Server.Durable?, inout NodeContext<PaxosLabMessage<Server.Peer>, Server.Durable>) -> Server
    ) -> Run {
        let simulator = Simulator<PaxosLabNode<Server>>(
            seed: seed, nodeIDs: settings.servers + settings.clients, network: network, disk: disk, recordsTrace: false,
            describeMessage: { message in
                if case .peer(let peer) = message { count(peer, meter) }
                return ""
            },
            makeNode: { id, durable, context in
                if settings.servers.contains(id) { return .server(makeServer(id, durable, &context)) }
                return .client(PaxosKVClient(id: id, settings: settings, context: &context))
            })
        return wrap(simulator, clients: settings.clients, servers: settings.servers,
            history: { $0.client?.history.events.map { ($0.kind == .invoke, $0.operationIndex, $0.time) } },
            leads: { $0.server?.leads == true },
            fast: { node in
                guard let server = node.server as? FastPaxosKVServer else { return nil }
                return (server.node.fastDecisions, server.node.classicDecisions, server.node.collisions)
            })
    }

    /// Wraps a simulator into a `Run`. The simulator lives in a box that
    /// the closures share.
    static func wrap<Node: SimulatedNode>(
        _ simulator: Simulator<Node>, clients: [NodeID], servers: [NodeID],
        history: @escaping (Node) -> [(isInvoke: Bool, operation: Int, time: SimulationInstant)]?,
        leads: @escaping (Node) -> Bool,
        fast: @escaping (Node) -> (Int, Int, Int)?
    ) -> Run {
        let box = SimulatorBox(simulator)
        func spans() -> [(invoked: SimulationInstant, completed: SimulationInstant)] {
            var result: [(SimulationInstant, SimulationInstant)] = []
            for client in clients {
                guard let node = box.simulator.node(client), let events = history(node) else { continue }
                var invoked: [Int: SimulationInstant] = [:]
                for event in events {
                    if event.isInvoke {
                        invoked[event.operation] = event.time
                    } else if let start = invoked[event.operation] {
                        result.append((start, event.time))
                    }
                }
            }
            return result
        }
        return Run(
            step: { box.simulator.run(until: $0) },
            latencies: { spans().map { ($0.completed - $0.invoked).nanoseconds } },
            latenciesSince: { instant in spans().filter { $0.invoked >= instant } },
            leader: { servers.first { id in box.simulator.node(id).map(leads) ?? false } },
            crash: { box.simulator.crash($0) },
            partition: { box.simulator.partition($0) },
            heal: { box.simulator.heal() },
            fastStatistics: {
                var total = (fast: 0, classic: 0, collisions: 0)
                for id in servers {
                    guard let node = box.simulator.node(id), let figures = fast(node) else { continue }
                    total.fast += figures.0
                    total.classic += figures.1
                    total.collisions += figures.2
                }
                return total
            })
    }

    /// Holds a simulator that several closures drive.
    final class SimulatorBox<Node: SimulatedNode>: @unchecked Sendable {
        var simulator: Simulator<Node>
        init(_ simulator: Simulator<Node>) { self.simulator = simulator }
    }

    // MARK: Message sizes

    static func countRaft(_ message: RaftMessage, _ meter: MessageMeter) {
        switch message.body {
        case .appendEntries(let append):
            meter.count(entries: append.entries.count, payloadBytes: append.entries.reduce(0) { $0 + $1.data.count })
        case .snapshotChunk(let chunk):
            meter.count(entries: 0, payloadBytes: chunk.data.count)
        case .forwardedProposal(let entries):
            meter.count(entries: entries.count, payloadBytes: entries.reduce(0) { $0 + $1.data.count })
        default:
            meter.count(entries: 0, payloadBytes: 0)
        }
    }

    static func countMultiPaxos(_ message: MultiPaxosMessage, _ meter: MessageMeter) {
        switch message.body {
        case .accept(let accept): meter.count(entries: accept.entries.count, payloadBytes: message.payloadBytes)
        case .promise(let promise): meter.count(entries: promise.entries.count, payloadBytes: message.payloadBytes)
        case .forwardedProposal(let commands): meter.count(entries: commands.count, payloadBytes: message.payloadBytes)
        default: meter.count(entries: 0, payloadBytes: message.payloadBytes)
        }
    }

    static func countPaxos(_ message: PaxosMessage, _ meter: MessageMeter) {
        switch message.body {
        case .decided(let values): meter.count(entries: values.count, payloadBytes: message.payloadBytes)
        case .prepare, .reject: meter.count(entries: 0, payloadBytes: 0)
        default: meter.count(entries: 1, payloadBytes: message.payloadBytes)
        }
    }

    static func countFastPaxos(_ message: FastPaxosMessage, _ meter: MessageMeter) {
        switch message.body {
        case .accept(let decisions), .commit(_, let decisions): meter.count(entries: decisions.count, payloadBytes: message.payloadBytes)
        case .votes(let votes): meter.count(entries: votes.count, payloadBytes: message.payloadBytes)
        case .promise(_, let votes, let chosen): meter.count(entries: votes.count + chosen.count, payloadBytes: message.payloadBytes)
        default: meter.count(entries: 0, payloadBytes: 0)
        }
    }

    // MARK: Formatting

    static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    static func pad(_ columns: [String]) -> String {
        let widths = [18] + Array(repeating: 13, count: max(0, columns.count - 1))
        return zip(columns, widths).map { column, width in
            column.count >= width ? column + " " : column + String(repeating: " ", count: width - column.count)
        }.joined()
    }
}
