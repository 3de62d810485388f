import ConcordChecker
import ConcordKV
import ConcordRaft
import ConcordServerCore
import ConcordSimulation
import ConcordStorage

/// The `server` scenario: three or five real server cores (`ServerCore`,
/// the code `concord server` runs) with Concord's real write-ahead log on
/// the crash-simulating file system, under swarm faults, serving simulated
/// etcd clients: linearizable and serializable gets, puts, deletes,
/// compare-and-swap transactions and compactions; leases granted, attached,
/// renewed through followers, revoked or left to expire; watches resumed
/// across members; an operator moving leadership, adding a member as a
/// learner, promoting it and removing a voter.
///
/// Each run checks:
/// - linearizability of the key-value history (ConcordChecker), whose final
///   reads after healing make a lost acknowledged write show;
/// - watch guarantees (`WatchStreamCheck`);
/// - lease safety (`LeaseRevocationCheck`);
/// - Raft's election and state machine safety, and that members that
///   applied the same log hold the same store and member registry;
/// - liveness: after healing a majority, every client's request completes
///   and the final reads are answered within `livenessBound`.
public enum ServerScenario {
    /// How long faults strike.
    public static let safetyPhase = SimulationDuration.seconds(3)
    /// How long after healing the final reads must be done by.
    public static let livenessBound = SimulationDuration.seconds(8)
    /// When, after healing, the final reader starts: lease keys abandoned
    /// before healing have expired by then.
    public static let finalReadDelay = SimulationDuration.milliseconds(4000)
    /// The fault limits of a run.
    public static let faultLimits = FaultLimits()
    /// The simulated disk's sync latency.
    public static let disk = DiskConditions(syncLatencyMin: .microseconds(200), syncLatencyMax: .milliseconds(10))
    /// The linearizability search budget of a run.
    public static let checkBudget = CheckBudget.steps(500_000)

    /// The scenario, as registered in `Scenarios.all`.
    public static let scenario = Scenario(
        name: "server",
        summary: "the real server core on 3 or 5 members with real storage on a crashing disk: KV, leases, watches, membership",
        run: run
    )

    /// The scenario on Multi-Paxos: the same servers, clients, faults and
    /// checks, with every server core replicating through `MultiPaxosEngine`.
    public static let multiPaxosScenario = Scenario(
        name: "server-multi-paxos",
        summary: "the server scenario with the server core replicating through Multi-Paxos instead of Raft",
        run: { options in run(options, consensus: .multiPaxos) }
    )

    /// Every bug name `--bug` takes: the server core's, and Raft's as `raft:<name>`.
    public static var bugNames: [String] {
        ServerBug.allCases.map(\.rawValue) + RaftBug.allCases.map { "raft:\($0.rawValue)" }
    }

    @Sendable public static func run(_ options: ScenarioOptions) -> ScenarioResult {
        run(options, consensus: .raft)
    }

    static func run(_ options: ScenarioOptions, consensus: ConsensusEngineKind) -> ScenarioResult {
        var bugs: Set<ServerBug> = []
        var raftBug: RaftBug?
        if let name = options.bug {
            if let bug = ServerBug(rawValue: name) {
                bugs = [bug]
            } else if name.hasPrefix("raft:"), let bug = RaftBug(rawValue: String(name.dropFirst(5))) {
                raftBug = bug
            } else {
                return ScenarioResult(passed: false, verdict: "unknown bug \(name); known: \(bugNames.joined(separator: ", "))", traceHash: 0)
            }
        }
        let report = execute(
            seed: options.seed, bugs: bugs, raftBug: raftBug, recordsTrace: options.recordTimeline, recordsEvents: options.recordEvents,
            consensus: consensus)
        return report.result
    }

    /// What one run found.
    public struct Report: Sendable {
        public var passed: Bool
        public var verdict: String
        public var failures: [String]
        public var trace: [String]
        public var traceHash: UInt64
        public var operations: Int
        /// The simulator's recording and the checked operations, when asked for.
        public var recording: SimulationRecording?
        public var recordedOperations: [RecordedOperation] = []

        /// The report as a scenario's result.
        var result: ScenarioResult {
            ScenarioResult(
                passed: passed, verdict: verdict, timeline: trace, traceHash: traceHash, recording: recording,
                operations: recordedOperations)
        }
    }

    /// The fault profiles of a run.
    public enum Profile: Sendable {
        /// Swarm faults only.
        case swarm
        /// Swarm faults plus `RaftFaultHunter`'s crashes aimed at voters
        /// just after they grant a vote and at leaders just after they are
        /// elected: the profile of the bug hunts, which the correct server
        /// passes as well.
        case hunting
    }

    /// The most simulator events a run may take before it counts as a
    /// message storm.
    public static let eventsMax = 2_000_000

    /// Runs the scenario once.
    /// - Parameters:
    ///   - raftFocus: the `raft` scenario's settings: key-value clients only
    ///     (no leases, watches or operator), eager, on two keys, with
    ///     CheckQuorum drawn from the seed.
    public static func execute(
        seed: UInt64, bugs: Set<ServerBug> = [], raftBug: RaftBug? = nil, recordsTrace: Bool,
        safetyPhase: SimulationDuration = safetyPhase, profile: Profile = .swarm, raftFocus: Bool = false,
        recordsEvents: Bool = false, consensus: ConsensusEngineKind = .raft
    ) -> Report {
        let healedAt = SimulationInstant.zero + safetyPhase
        var settings = ServerLabSettings.derive(seed: seed, bugs: bugs, raftBug: raftBug, clientsStopAt: healedAt)
        if raftFocus { settings.focusOnRaft(seed: seed) }
        settings.use(consensus)
        let plan = FaultPlan.random(seed: seed, nodes: settings.servers, safetyPhase: safetyPhase, limits: faultLimits)
        let monitor = ServerLabMonitor()
        let finalReadAt = healedAt + (raftFocus ? .milliseconds(500) : finalReadDelay)
        var simulator = makeSimulator(
            seed: seed, settings: settings, monitor: monitor, recordsTrace: recordsTrace, finalReadAt: finalReadAt,
            recordsEvents: recordsEvents)
        plan.schedule(on: &simulator)
        switch profile {
        case .swarm:
            simulator.run(until: plan.healedAt) { $0.eventsHandled < eventsMax }
        case .hunting:
            var hunter = RaftFaultHunter(seed: seed, servers: settings.founders, healedAt: plan.healedAt)
            while simulator.now < plan.healedAt && simulator.eventsHandled < eventsMax {
                var strike: RaftFaultHunter.Strike?
                simulator.run(until: plan.healedAt) { simulator in
                    guard simulator.eventsHandled < eventsMax else { return false }
                    strike = hunter.observe(now: simulator.now, isRunning: { simulator.isRunning($0) }) { server in
                        simulator.node(server)?.server?.core.map { ($0.term, $0.vote, $0.role == .leader) }
                    }
                    return strike == nil
                }
                guard let strike else { break }
                simulator.schedule(.crash(strike.node), at: strike.crashAt)
                simulator.schedule(.restart(strike.node), at: strike.restartAt)
            }
        }
        let deadline = plan.healedAt + livenessBound
        simulator.run(until: deadline) { simulator in
            simulator.eventsHandled < eventsMax && !settings.allClients.allSatisfy { simulator.node($0)?.isIdle ?? true }
        }

        var failures = monitor.violations
        if simulator.eventsHandled >= eventsMax { failures.append("event storm: \(eventsMax) events by \(simulator.now)") }
        let busy = settings.allClients.filter { !(simulator.node($0)?.isIdle ?? true) }
        if !busy.isEmpty {
            failures.append("liveness: \(busy.map { "c\($0)" }.joined(separator: ",")) still waiting \(livenessBound) after healing")
        }
        failures += agreement(simulator, settings)
        let unexpected = settings.allClients.flatMap { unexpectedAnswers(simulator.node($0)) }
        if !unexpected.isEmpty { failures.append("unexpected answers: \(unexpected.prefix(3).joined(separator: "; "))") }

        let history = collectHistory(simulator, settings)
        let operations = history.filter { $0.kind == .invoke }.count
        var verdict = "not checked"
        var recordedOperations: [RecordedOperation] = []
        do {
            let checkedHistory = try History(history)
            let checked = checkLinearizability(checkedHistory, model: .kv, budget: checkBudget)
            verdict = checked.description
            if case .notLinearizable = checked { failures.append("key-value history \(checked)") }
            if recordsEvents {
                // A client's processes are numbered client × 10,000 + its generation.
                recordedOperations = RecordedOperation.operations(
                    of: checkedHistory, offending: checked.offendingOperations, node: { $0 / 10_000 })
            }
        } catch {
            failures.append("invalid history: \(error)")
        }
        failures += WatchStreamCheck.violations(
            streams: watchStreams(simulator, settings), acknowledged: acknowledgedWrites(simulator, settings), uniqueValues: true)
        failures += LeaseRevocationCheck.violations(leaseRecord(simulator, settings))

        let refused = monitor.refusals.keys.sorted().map { "n\($0)" }
        let shape =
            "\(settings.founders.count) founders\(settings.spare.map { " + spare n\($0)" } ?? ""), \(operations) ops, "
            + "\(monitor.leaderCount) leader terms, \(monitor.highestApplied) entries, "
            + (refused.isEmpty ? "" : "disk refused on \(refused.joined(separator: ",")), ") + plan.summary
        let passed = failures.isEmpty
        let bugName = bugs.first.map(\.rawValue) ?? raftBug.map { "raft:\($0.rawValue)" }
        let summary =
            passed
            ? "\(verdict); \(shape)"
            : "\(failures.prefix(4).joined(separator: "; ")); \(shape); replay: concord sim \(raftFocus ? "raft" : consensus == .raft ? "server" : "server-multi-paxos") --seed \(seed)"
                + (bugName.map { " --bug \($0)" } ?? "")
        return Report(
            passed: passed, verdict: summary, failures: failures, trace: recordsTrace ? simulator.trace : [],
            traceHash: simulator.traceHash, operations: operations, recording: simulator.recording,
            recordedOperations: recordedOperations)
    }

    /// A simulator of `settings`' servers and clients.
    static func makeSimulator(
        seed: UInt64, settings: ServerLabSettings, monitor: ServerLabMonitor, recordsTrace: Bool, finalReadAt: SimulationInstant,
        recordsEvents: Bool = false
    ) -> Simulator<ServerLabNode> {
        Simulator<ServerLabNode>(
            seed: seed, nodeIDs: settings.servers + settings.allClients, disk: disk, recordsTrace: recordsTrace,
            recordsEvents: recordsEvents, describeMessage: { $0.description },
            makeNode: { id, durable, context in
                if settings.servers.contains(id) {
                    return .server(ServerLabServer(id: id, durable: durable, settings: settings, monitor: monitor, context: &context))
                }
                if settings.leaseClients.contains(id) { return .leaseClient(ServerLabLeaseClient(id: id, settings: settings, context: &context)) }
                if settings.watchers.contains(id) { return .watcher(ServerLabWatcher(id: id, settings: settings, context: &context)) }
                if id == settings.admin { return .admin(ServerLabAdmin(id: id, settings: settings, context: &context)) }
                if id == settings.finalReader {
                    return .finalReader(ServerLabFinalReader(id: id, settings: settings, startAt: finalReadAt, context: &context))
                }
                return .client(ServerLabClient(id: id, settings: settings, context: &context))
            })
    }

    // MARK: Checks

    /// Members that applied the same prefix of the log hold the same store
    /// and the same member registry.
    static func agreement(_ simulator: borrowing Simulator<ServerLabNode>, _ settings: ServerLabSettings) -> [String] {
        var byIndex: [UInt64: (NodeID, ConcordKV.KVStateMachine, MemberRegistry)] = [:]
        var failures: [String] = []
        for id in settings.servers {
            guard let core = simulator.node(id)?.server?.core else { continue }
            let applied = core.appliedIndex
            if let (other, state, registry) = byIndex[applied] {
                if state != core.stateMachine { failures.append("n\(other) and n\(id) hold different stores at applied index \(applied)") }
                if registry != core.memberRegistry {
                    failures.append("n\(other) and n\(id) hold different member registries at applied index \(applied)")
                }
            } else {
                byIndex[applied] = (id, core.stateMachine, core.memberRegistry)
            }
        }
        return failures
    }

    static func unexpectedAnswers(_ node: ServerLabNode?) -> [String] {
        switch node {
        case .client(let client): client.unexpected
        case .leaseClient(let client): client.unexpected
        case .admin(let admin): admin.unexpected
        default: []
        }
    }

    /// Every client's history merged in time order, as checker events. At
    /// equal times invocations come first, so no real-time order is invented.
    static func collectHistory(_ simulator: borrowing Simulator<ServerLabNode>, _ settings: ServerLabSettings) -> [HistoryEvent] {
        var recorders: [HistoryRecorder<ServerLabOperation, String?>] = []
        for id in settings.clients {
            if case .client(let client) = simulator.node(id) { recorders.append(client.history) }
        }
        if case .finalReader(let reader) = simulator.node(settings.finalReader) { recorders.append(reader.history) }
        var events: [(time: Int64, rank: Int, sequence: Int, event: HistoryEvent)] = []
        for recorder in recorders {
            for event in recorder.events {
                let kind: HistoryEvent.Kind
                var value = event.operation.value
                switch event.kind {
                case .invoke: kind = .invoke
                case .ok:
                    kind = .ok
                    if event.operation.function == .get { value = event.result ?? nil }
                case .fail: kind = .fail
                case .info: kind = .info
                }
                let historyEvent = HistoryEvent(
                    process: event.process, kind: kind, function: event.operation.function, key: event.operation.key, value: value,
                    expected: event.operation.expected, time: event.time.nanoseconds)
                events.append((event.time.nanoseconds, kind == .invoke ? 0 : 1, events.count, historyEvent))
            }
        }
        events.sort { ($0.time, $0.rank, $0.sequence) < ($1.time, $1.rank, $1.sequence) }
        return events.map(\.event)
    }

    static func watchStreams(_ simulator: borrowing Simulator<ServerLabNode>, _ settings: ServerLabSettings) -> [WatchStreamCheck.Stream] {
        settings.watchers.compactMap { id in
            if case .watcher(let watcher) = simulator.node(id) { return watcher.stream }
            return nil
        }
    }

    static func acknowledgedWrites(_ simulator: borrowing Simulator<ServerLabNode>, _ settings: ServerLabSettings) -> [WatchStreamCheck.Event] {
        settings.clients.flatMap { id -> [WatchStreamCheck.Event] in
            guard case .client(let client) = simulator.node(id) else { return [] }
            return client.acknowledged.map {
                WatchStreamCheck.Event(revision: $0.revision, key: $0.key, isDelete: $0.isDelete, value: $0.isDelete ? "" : $0.value)
            }
        }
    }

    /// The lease clients' records, with the final listing of lease keys and
    /// the expiry deadlines of abandoned leases.
    static func leaseRecord(_ simulator: borrowing Simulator<ServerLabNode>, _ settings: ServerLabSettings) -> LeaseRevocationCheck.Record {
        var record = LeaseRevocationCheck.Record()
        var keys: Set<String> = []
        for id in settings.leaseClients {
            guard case .leaseClient(let client) = simulator.node(id) else { continue }
            record.merge(client.record)
            keys.formUnion(client.record.attachments.keys)
            for abandoned in client.abandoned {
                // Every leader change renews every lease (etcd's promote), so
                // an abandoned lease expires its TTL after the last election
                // before healing at the latest; the final reads come long
                // enough after healing for that and for the revoke to commit.
                record.mustExpire(key: abandoned.key, by: (SimulationInstant.zero + safetyPhase + finalReadDelay).nanoseconds - 1)
            }
        }
        if case .finalReader(let reader) = simulator.node(settings.finalReader), let listing = reader.leaseKeys {
            for key in keys.sorted() {
                record.read(key: key, present: listing.keys.contains(key), invokedAt: listing.invokedAt, completedAt: listing.completedAt)
            }
        }
        return record
    }
}
