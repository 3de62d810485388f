import ConcordChecker
import ConcordSimulation

/// The demonstration of the whole loop: a primary–backup register store runs
/// in the simulator under seed-derived faults, three clients record a
/// history, and the linearizability checker judges it.
///
/// Two servers (n0, n1) hold the data, a coordinator (n2) decides which one is
/// primary, and clients (n3–n5) issue gets and puts on two keys. Faults strike
/// the servers and the coordinator during the safety phase; then every node is
/// healed and each client must complete an operation within the liveness bound.
/// (Primary–backup keeps its data on the members of the last configuration
/// only, so it cannot promise progress with just a majority healed.)
///
/// - `register` replicates asynchronously: its known flaw loses acknowledged
///   writes at failover and serves stale reads from a deposed primary.
/// - `register-safe` replicates synchronously with epoch fencing; bug switch
///   `local-reads` re-introduces unfenced reads.
enum RegisterScenario {
    static let servers = [0, 1]
    static let coordinator = 2
    static let clients = [3, 4, 5]
    /// How long faults strike.
    static let safetyPhase = SimulationDuration.seconds(2)
    /// After healing, every client must complete an operation within this.
    static let livenessBound = SimulationDuration.seconds(1)
    /// Time for the last operations to be answered or time out.
    static let drainTime = RegisterTimings.requestTimeout + .milliseconds(50)
    /// The checker's deterministic search budget per key.
    static let checkBudget = CheckBudget.steps(5_000_000)
    static let faultLimits = FaultLimits()
    static let livenessText = "\(livenessBound.nanoseconds / 1_000_000) ms"
    /// The bug switches `register-safe` knows.
    static let bugs = ["local-reads", "no-retransmit"]

    static let flawed = Scenario(
        name: "register",
        summary: "primary-backup register with asynchronous replication (flawed: loses writes, stale reads)"
    ) { options in
        run(options, replication: .asynchronous)
    }

    static let safe = Scenario(
        name: "register-safe",
        summary: "primary-backup register with synchronous replication and epoch fencing (bugs: local-reads, no-retransmit)"
    ) { options in
        switch options.bug {
        case nil: run(options, replication: .synchronous)
        case "local-reads": run(options, replication: .synchronousWithLocalReads)
        case "no-retransmit": run(options, replication: .synchronous, retransmits: false)
        case let bug?: unknownBug(bug)
        }
    }

    static func unknownBug(_ bug: String) -> ScenarioResult {
        ScenarioResult(passed: false, verdict: "unknown bug '\(bug)'; register-safe knows: \(bugs.joined(separator: ", "))", traceHash: 0)
    }

    /// Everything one run found, for tests that look deeper than the verdict.
    struct Outcome {
        var result: ScenarioResult
        var history: History?
        var linearizability: LinearizabilityVerdict?
        var clientsWithoutProgress: [NodeID]
        var plan: FaultPlan
    }

    static func run(_ options: ScenarioOptions, replication: RegisterReplication, retransmits: Bool = true) -> ScenarioResult {
        if options.bug != nil, replication == .asynchronous {
            return ScenarioResult(passed: false, verdict: "unknown bug '\(options.bug!)'; register has none (its flaw is built in)", traceHash: 0)
        }
        return simulate(options, replication: replication, retransmits: retransmits).result
    }

    static func simulate(_ options: ScenarioOptions, replication: RegisterReplication, retransmits: Bool = true) -> Outcome {
        let plan = FaultPlan.random(seed: options.seed, nodes: servers + [coordinator], safetyPhase: safetyPhase, limits: faultLimits)
        let livenessEnd = plan.healedAt + livenessBound
        var sim = Simulator<RegisterNode>(
            seed: options.seed,
            nodeIDs: servers + [coordinator] + clients,
            recordsTrace: options.recordTimeline,
            recordsEvents: options.recordEvents,
            describeMessage: { $0.description },
            makeNode: { id, durable, context in
                makeNode(id, durable: durable, replication: replication, retransmits: retransmits, stopAt: livenessEnd, context: &context)
            }
        )
        plan.schedule(on: &sim)
        // Heal the minority too: primary-backup needs the last configuration's members.
        for node in servers + [coordinator] where !plan.healedNodes.contains(node) {
            sim.schedule(.restart(node), at: plan.healedAt)
            sim.schedule(.resume(node), at: plan.healedAt)
        }
        sim.run(until: livenessEnd + drainTime)

        let recorded = clients.map { sim.node($0)!.client! }
        let stalled = recorded.filter { client in
            !client.completedAt.contains { $0 > plan.healedAt && $0 <= livenessEnd }
        }.map(\.id)
        var history: History?
        var linearizability: LinearizabilityVerdict?
        var verdict: String
        var passed = false
        do {
            let checked = try History(historyEvents(recorded))
            history = checked
            let result = checkLinearizability(checked, budget: checkBudget)
            linearizability = result
            let counts = summary(checked)
            switch result {
            case .linearizable where stalled.isEmpty:
                passed = true
                verdict = "linearizable (\(counts)); every client completed an operation within \(livenessText) of healing"
            case .linearizable:
                verdict = "linearizable (\(counts)) but no progress within \(livenessText) of healing for "
                    + stalled.map { "n\($0)" }.joined(separator: ", ")
            default:
                verdict = "\(result) (\(counts))".split(separator: "\n").joined(separator: " ")
            }
        } catch {
            verdict = "invalid history: \(error)"
        }
        var operations: [RecordedOperation] = []
        if options.recordEvents, let history {
            operations = RecordedOperation.operations(
                of: history, offending: linearizability?.offendingOperations ?? [], node: { clients[$0 % clients.count] })
        }
        var timeline: [String] = []
        if options.recordTimeline {
            timeline.append("seed \(options.seed): \(plan.summary)")
            timeline += sim.trace.filter(isTimelineLine)
        }
        return Outcome(
            result: ScenarioResult(
                passed: passed, verdict: verdict, timeline: timeline, traceHash: sim.traceHash, recording: sim.recording,
                operations: operations),
            history: history,
            linearizability: linearizability,
            clientsWithoutProgress: stalled,
            plan: plan
        )
    }

    static func makeNode(
        _ id: NodeID, durable: RegisterDurableState?, replication: RegisterReplication, retransmits: Bool = true,
        stopAt: SimulationInstant, context: inout RegisterContext
    ) -> RegisterNode {
        if servers.contains(id) {
            let server = RegisterServer(
                id: id, coordinator: coordinator, replication: replication, retransmits: retransmits, durable: durable, context: &context)
            return RegisterNode(role: .server(server))
        }
        if id == coordinator {
            return RegisterNode(role: .coordinator(RegisterCoordinator(id: id, servers: servers, durable: durable, context: &context)))
        }
        let index = clients.firstIndex(of: id)!
        return RegisterNode(role: .client(RegisterClient(id: id, index: index, clientCount: clients.count, servers: servers, stopAt: stopAt, context: &context)))
    }

    /// The clients' events as one checker history, in time order. Events at
    /// the same instant put invocations first: that can only make operations
    /// overlap more, so it never invents a violation.
    static func historyEvents(_ clients: [RegisterClient]) -> [HistoryEvent] {
        var merged: [(time: Int64, rank: Int, client: Int, position: Int, event: HistoryEvent)] = []
        for (clientIndex, client) in clients.enumerated() {
            for (position, event) in client.history.events.enumerated() {
                let converted = historyEvent(event)
                merged.append((converted.time, event.kind == .invoke ? 0 : 1, clientIndex, position, converted))
            }
        }
        merged.sort { ($0.time, $0.rank, $0.client, $0.position) < ($1.time, $1.rank, $1.client, $1.position) }
        return merged.map(\.event)
    }

    static func historyEvent(_ event: HistoryRecorder<RegisterOperation, String?>.Event) -> HistoryEvent {
        let kind: HistoryEvent.Kind = switch event.kind {
        case .invoke: .invoke
        case .ok: .ok
        case .fail: .fail
        case .info: .info
        }
        switch event.operation {
        case .get(let key):
            let value = event.kind == .ok ? (event.result ?? nil) : nil
            return HistoryEvent(process: event.process, kind: kind, function: .get, key: key, value: value, time: event.time.nanoseconds)
        case .put(let key, let value):
            return HistoryEvent(process: event.process, kind: kind, function: .put, key: key, value: value, time: event.time.nanoseconds)
        }
    }

    static func summary(_ history: History) -> String {
        let operations = history.operations
        let ok = operations.filter { $0.outcome == .ok }.count
        let fail = operations.filter { $0.outcome == .fail }.count
        return "\(operations.count) operations: \(ok) ok, \(fail) fail, \(operations.count - ok - fail) info"
    }

    /// Faults and what nodes logged, not every message.
    static func isTimelineLine(_ line: String) -> Bool {
        guard let space = line.firstIndex(of: " ") else { return false }
        let rest = line[line.index(after: space)...]
        if rest.hasPrefix("fault ") { return true }
        guard rest.hasPrefix("n"), let word = rest.split(separator: " ").first else { return false }
        return word.hasSuffix(":")
    }
}
