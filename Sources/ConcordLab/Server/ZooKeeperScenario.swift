import ConcordFoundation
import ConcordChecker
import ConcordServerCore
import ConcordSimulation
import ConcordZooKeeper

/// The `zookeeper` scenario: three or five real server cores (the code
/// `concord server` runs) with the real write-ahead log on the
/// crash-simulating disk, under the server scenario's swarm faults
/// (partitions, crashes and restarts, message loss, duplication and
/// reordering), serving simulated ZooKeeper clients that speak jute bytes
/// (`ZooKeeperLabClient`): sessions, persistent and ephemeral-sequential
/// nodes, conditional writes, reads that set watches, syncs, sessions
/// resumed on other members, and clients that fall silent until the leader
/// expires their sessions.
///
/// Each run checks:
/// - ZooKeeper's guarantees on the clients' history
///   (`checkZooKeeperGuarantees`: linearizable writes, sequentially
///   consistent reads, never back in zxid within a session, sync then read
///   sees the latest, a watch event before the data that fired it);
/// - Raft's election and state machine safety;
/// - that members that applied the same log hold the same ZooKeeper
///   replica and the same store;
/// - that no ephemeral node outlives its session: none belongs to a
///   session a client was told had expired and, once the clients stop and
///   their sessions time out, the most advanced members hold no session
///   and no ephemeral node;
/// - liveness: after healing a majority, no client waits for an answer.
public enum ZooKeeperScenario {
    /// How long faults strike.
    public static let safetyPhase = SimulationDuration.milliseconds(1200)
    /// How long after healing the run ends: the clients stop at healing,
    /// and their sessions (600 ms) expire well before, even after an
    /// election.
    public static let settleBound = SimulationDuration.milliseconds(2500)
    /// How much longer a run goes on, past its end, while the most
    /// advanced members still hold sessions (the expiry checks come after).
    public static let expiryGrace = SimulationDuration.seconds(3)
    /// The fault limits of a run.
    public static let faultLimits = FaultLimits()
    /// The most simulator events a run may take before it counts as a
    /// message storm.
    public static let eventsMax = 1_000_000

    /// The scenario, as registered in `Scenarios.all`.
    public static let scenario = Scenario(
        name: "zookeeper",
        summary: "ZooKeeper clients (jute bytes) on the real server core, 3 or 5 members, crashing disks: sessions, ephemerals, watches, syncs, moves, expiries",
        run: run
    )

    /// The 500-seed CI sweep's shorter runs (`execute(short: true)`), so
    /// that a failing seed of the sweep replays with the CLI.
    public static let shortScenario = Scenario(
        name: "zookeeper-short",
        summary: "the zookeeper scenario's shorter runs of the CI sweep: 3 members, 100 ms elections, 0.8 s of faults",
        run: { options in run(options, short: true) }
    )

    /// Every bug name `--bug` takes: `ZooKeeper.ServerBugs`' switches.
    public static let bugNames = ["acceptsClientsAhead", "deliversWatchEventsLate"]

    static func bugs(named name: String) -> ZooKeeper.ServerBugs? {
        switch name {
        case "acceptsClientsAhead": ZooKeeper.ServerBugs(acceptsClientsAhead: true)
        case "deliversWatchEventsLate": ZooKeeper.ServerBugs(deliversWatchEventsLate: true)
        default: nil
        }
    }

    @Sendable public static func run(_ options: ScenarioOptions) -> ScenarioResult {
        run(options, short: false)
    }

    static func run(_ options: ScenarioOptions, short: Bool) -> ScenarioResult {
        var bugs = ZooKeeper.ServerBugs()
        if let name = options.bug {
            guard let named = Self.bugs(named: name) else {
                return ScenarioResult(passed: false, verdict: "unknown bug \(name); known: \(bugNames.joined(separator: ", "))", traceHash: 0)
            }
            bugs = named
        }
        let report = execute(
            seed: options.seed, bugs: bugs, bugName: options.bug, recordsTrace: options.recordTimeline, recordsEvents: options.recordEvents,
            short: short)
        return ScenarioResult(
            passed: report.passed, verdict: report.verdict, timeline: report.trace, traceHash: report.traceHash, recording: report.recording)
    }

    /// What one run found.
    public struct Report: Sendable {
        public var passed: Bool
        public var verdict: String
        public var failures: [String]
        public var trace: [String]
        public var traceHash: UInt64
        /// Requests invoked, watch events received, connections opened,
        /// sessions moved, sessions the clients saw expire.
        public var operations: Int
        public var notifications: Int
        public var connections: Int
        public var moves: Int
        public var expiries: Int
        /// The simulator's recording (messages, faults, node events), when
        /// asked for: what the space-time page draws.
        public var recording: SimulationRecording?
    }

    /// The shorter runs of the 500-seed sweep in the tests: three members
    /// with the shortest election timeout drawn (10 ticks), faults for
    /// 0.8 s, and 1.5 s to settle.
    public static let shortSafetyPhase = SimulationDuration.milliseconds(800)
    public static let shortSettleBound = SimulationDuration.milliseconds(1500)

    /// Runs the scenario once.
    /// - Parameter short: the sweep's shorter runs (`shortSafetyPhase`).
    public static func execute(
        seed: UInt64, bugs: ZooKeeper.ServerBugs = ZooKeeper.ServerBugs(), bugName: String? = nil, recordsTrace: Bool = false,
        recordsEvents: Bool = false, short: Bool = false
    ) -> Report {
        let safetyPhase = short ? shortSafetyPhase : safetyPhase
        let settleBound = short ? shortSettleBound : settleBound
        let healedAt = SimulationInstant.zero + safetyPhase
        var settings = derive(seed: seed, bugs: bugs, clientsStopAt: healedAt)
        if short {
            settings.founders = [1, 2, 3]
            settings.raft.electionTimeoutTicks = 10
        }
        let plan = FaultPlan.random(seed: seed, nodes: settings.servers, safetyPhase: safetyPhase, limits: faultLimits)
        let monitor = ServerLabMonitor()
        let recorder = ZooKeeperLabRecorder()
        var simulator = Simulator<ServerLabNode>(
            seed: seed, nodeIDs: settings.servers + settings.zooKeeperClients, disk: ServerScenario.disk, recordsTrace: recordsTrace,
            recordsEvents: recordsEvents, describeMessage: { $0.description },
            makeNode: { id, durable, context in
                if settings.servers.contains(id) {
                    return .server(ServerLabServer(id: id, durable: durable, settings: settings, monitor: monitor, context: &context))
                }
                return .zooKeeperClient(ZooKeeperLabClient(id: id, settings: settings, recorder: recorder, context: &context))
            })
        plan.schedule(on: &simulator)
        let end = plan.healedAt + settleBound
        simulator.run(until: end) { $0.eventsHandled < eventsMax }
        // A healed majority may take long to elect a leader (split votes):
        // the sessions' expiry waits for one, for at most `expiryGrace`.
        simulator.run(until: end + expiryGrace) { simulator in
            simulator.eventsHandled < eventsMax && !sessionsEnded(simulator, settings)
        }

        var failures = monitor.violations
        if simulator.eventsHandled >= eventsMax { failures.append("event storm: \(eventsMax) events by \(simulator.now)") }
        let busy = settings.zooKeeperClients.filter { !(simulator.node($0)?.isIdle ?? true) }
        if !busy.isEmpty { failures.append("liveness: \(busy.map { "c\($0)" }.joined(separator: ",")) still waiting at the end") }
        failures += ServerScenario.agreement(simulator, settings)
        failures += replicas(simulator, settings, expired: recorder.expiredSessions)

        var verdict = "not checked"
        var operations = 0
        var notifications = 0
        do {
            let history = try ZooKeeperHistory(recorder.events)
            let report = checkZooKeeperGuarantees(history)
            operations = report.operationCount
            notifications = report.notificationCount
            verdict = report.holds ? "ZooKeeper's guarantees hold" : "\(report.violations.count) violations"
            failures += report.violations.prefix(3).map { "\($0)" }
        } catch {
            failures.append("invalid history: \(error)")
        }
        let shape =
            "\(settings.founders.count) members, \(settings.zooKeeperClients.count) clients, \(operations) ops, \(notifications) watch events, "
            + "\(recorder.connections) connections, \(recorder.moves) moves, \(recorder.expiredSessions.count) expiries, "
            + "\(monitor.leaderCount) leader terms, \(monitor.highestApplied) entries, " + plan.summary
        let passed = failures.isEmpty
        let summary =
            passed
            ? "\(verdict); \(shape)"
            : "\(failures.prefix(4).joined(separator: "; ")); \(shape); replay: concord sim zookeeper\(short ? "-short" : "") --seed \(seed)"
                + (bugName.map { " --bug \($0)" } ?? "")
        return Report(
            passed: passed, verdict: summary, failures: failures, trace: recordsTrace ? simulator.trace : [],
            traceHash: simulator.traceHash, operations: operations, notifications: notifications, connections: recorder.connections,
            moves: recorder.moves, expiries: recorder.expiredSessions.count, recording: simulator.recording)
    }

    /// A run's settings: the server scenario's swarm of Raft and server
    /// knobs, without its etcd clients, spare member or operator, and with
    /// the ZooKeeper face on every member.
    static func derive(seed: UInt64, bugs: ZooKeeper.ServerBugs, clientsStopAt: SimulationInstant) -> ServerLabSettings {
        var settings = ServerLabSettings.derive(seed: seed, bugs: [], raftBug: nil, clientsStopAt: clientsStopAt)
        var random = SeededRandom(seed: seed ^ 0x2007_4EE9_E500_0017)
        settings.spare = nil
        settings.clients = []
        settings.leaseClients = []
        settings.watchers = []
        settings.admin = nil
        settings.finalReader = 99
        settings.zooKeeperClients = Array(100..<(100 + 2 + random.index(below: 3)))
        settings.thinkTimeMax = [.milliseconds(5), .milliseconds(15), .milliseconds(30)][random.index(below: 3)]
        // Sessions of 600 ms are granted (2 to 20 ticks of 100 ms allowed).
        settings.zooKeeper = ZooKeeper.ServerConfiguration(tickMilliseconds: 100, bugs: bugs)
        return settings
    }

    /// Whether the most advanced members hold no session any more.
    static func sessionsEnded(_ simulator: borrowing Simulator<ServerLabNode>, _ settings: ServerLabSettings) -> Bool {
        var highest: UInt64 = 0
        var empty = true
        for id in settings.servers {
            guard case .server(let server) = simulator.node(id), let core = server.core else { continue }
            if core.appliedIndex > highest {
                highest = core.appliedIndex
                empty = core.zooKeeperState.sessions.isEmpty
            } else if core.appliedIndex == highest {
                empty = empty && core.zooKeeperState.sessions.isEmpty
            }
        }
        return empty
    }

    /// Members that applied the same log hold the same ZooKeeper replica;
    /// no ephemeral node belongs to a session a client saw expire; the most
    /// advanced members, once every client stopped and its session timed
    /// out, hold no session and no ephemeral node.
    static func replicas(_ simulator: borrowing Simulator<ServerLabNode>, _ settings: ServerLabSettings, expired: Set<Int64>) -> [String] {
        var failures: [String] = []
        var byIndex: [UInt64: (NodeID, [UInt8])] = [:]
        var highest: UInt64 = 0
        for id in settings.servers {
            guard let core = simulator.node(id)?.server?.core else { continue }
            highest = max(highest, core.appliedIndex)
            let replica = core.zooKeeperState
            let bytes = replica.snapshot()
            if let (other, otherBytes) = byIndex[core.appliedIndex] {
                if otherBytes != bytes { failures.append("n\(other) and n\(id) hold different ZooKeeper replicas at applied index \(core.appliedIndex)") }
            } else {
                byIndex[core.appliedIndex] = (id, bytes)
            }
        }
        // A member behind (one the fault plan left cut off) may still hold
        // what the log later removed: the rest is judged on the most
        // advanced members.
        for id in settings.servers {
            guard let core = simulator.node(id)?.server?.core, core.appliedIndex == highest else { continue }
            let replica = core.zooKeeperState
            for (session, paths) in replica.tree.ephemerals where !paths.isEmpty && (replica.sessions[session] == nil || expired.contains(session)) {
                failures.append("n\(id) keeps \(paths.sorted()) of ended session \(session)")
            }
            if !replica.sessions.isEmpty {
                failures.append("n\(id) still holds \(replica.sessions.count) sessions after every client stopped")
            }
            let ephemerals = replica.tree.ephemerals.values.reduce(0) { $0 + $1.count }
            if ephemerals > 0 { failures.append("n\(id) still holds \(ephemerals) ephemeral nodes after every session timed out") }
        }
        return failures
    }
}
