import ConcordChecker
import ConcordKV
import ConcordRaft
import ConcordSimulation

/// The `raft-mvcc` scenario: Concord's etcd-style MVCC store replicated by
/// Raft on 3 or 5 servers (chosen by the seed), with simulated clients
/// issuing gets (ranges after a ReadIndex), puts, deletes and
/// compare-and-swap transactions, under the same swarm faults as the `raft`
/// scenario. The leader also compacts the store's history through the log.
///
/// The run passes when the client history is linearizable
/// (`ConcordChecker`'s key-value model), the Raft safety monitor saw no
/// violation, no request was refused by the store, every replica that
/// applied the same log holds the same store, and, after healing, every
/// pending operation completed within `livenessBound` with a leader in
/// place.
public enum MVCCRaftScenario {
    /// How long faults strike.
    public static let safetyPhase = SimulationDuration.seconds(2)
    /// How long after healing every pending operation must have completed.
    public static let livenessBound = SimulationDuration.seconds(3)
    /// The leader compacts when the store holds more revisions than this…
    static let historyRevisionsMax: Int64 = 16
    /// …keeping this many.
    static let historyRevisionsKept: Int64 = 4

    /// The scenario, as registered in `Scenarios.all`.
    public static let scenario = Scenario(
        name: "raft-mvcc",
        summary: "etcd-style MVCC store over Raft, 3 or 5 servers, swarm faults, gets/puts/deletes/cas txns linearizable",
        run: run
    )

    /// Runs the scenario once.
    @Sendable public static func run(_ options: ScenarioOptions) -> ScenarioResult {
        let bug: MVCCLabBug?
        if let name = options.bug {
            guard let known = MVCCLabBug(rawValue: name) else {
                return ScenarioResult(
                    passed: false,
                    verdict: "unknown bug \(name); known: \(MVCCLabBug.allCases.map(\.rawValue).joined(separator: ", "))",
                    traceHash: 0)
            }
            bug = known
        } else {
            bug = nil
        }
        let report = execute(seed: options.seed, bug: bug, recordsTrace: options.recordTimeline, recordsEvents: options.recordEvents)
        return ScenarioResult(
            passed: report.passed, verdict: report.verdict, timeline: report.trace, traceHash: report.traceHash,
            recording: report.recording, operations: report.recordedOperations)
    }

    /// What one run found.
    struct Report {
        var passed: Bool
        var verdict: String
        var trace: [String]
        var traceHash: UInt64
        var operations: Int
        var compactions: Int
        /// The simulator's recording and the checked operations, when asked for.
        var recording: SimulationRecording? = nil
        var recordedOperations: [RecordedOperation] = []
    }

    static func execute(seed: UInt64, bug: MVCCLabBug?, recordsTrace: Bool, recordsEvents: Bool = false) -> Report {
        let healedAt = SimulationInstant.zero + safetyPhase
        // The Raft lab's seed-derived settings (servers, batching, windows,
        // PreVote, snapshot sizes), with Raft's own bugs off.
        let settings = RaftScenario.settings(seed: seed, bug: nil, clientsStopAt: healedAt)
        let plan = FaultPlan.random(seed: seed, nodes: settings.servers, safetyPhase: safetyPhase, limits: FaultLimits())
        let monitor = RaftSafetyMonitor()
        var simulator = Simulator<MVCCLabNode>(
            seed: seed, nodeIDs: settings.servers + settings.clients, recordsTrace: recordsTrace,
            recordsEvents: recordsEvents, describeMessage: { $0.description },
            makeNode: { id, durable, context in
                if settings.servers.contains(id) {
                    return .server(MVCCKVServer(id: id, durable: durable, settings: settings, monitor: monitor, bug: bug, context: &context))
                }
                return .client(MVCCKVClient(id: id, settings: settings, context: &context))
            })
        plan.schedule(on: &simulator)
        simulator.run(until: plan.healedAt)
        let deadline = plan.healedAt + livenessBound
        simulator.run(until: deadline) { simulator in
            !RaftLabProgress.allClientsIdle(simulator, settings) || !RaftLabProgress.hasLeader(simulator, settings)
        }
        let idle = RaftLabProgress.allClientsIdle(simulator, settings)
        let leader = RaftLabProgress.hasLeader(simulator, settings)
        let history = RaftLabProgress.collectHistory(simulator, settings)
        let operations = history.filter { $0.kind == .invoke }.count

        var failures: [String] = monitor.violations
        if !idle { failures.append("liveness: operations still pending \(livenessBound) after healing") }
        if !leader { failures.append("liveness: no leader \(livenessBound) after healing") }
        let refusals = settings.clients.flatMap { simulator.node($0)?.client?.refusals ?? [] }
        if !refusals.isEmpty { failures.append("store refused: \(refusals.prefix(3).joined(separator: "; "))") }
        failures += replicaDivergence(simulator, settings)
        var verdict = "not checked"
        var recordedOperations: [RecordedOperation] = []
        do {
            let checkedHistory = try History(history)
            let checked = checkLinearizability(checkedHistory, model: .kv, budget: .default)
            verdict = checked.description
            if case .notLinearizable = checked { failures.append("history \(checked)") }
            if recordsEvents {
                recordedOperations = RecordedOperation.operations(
                    of: checkedHistory, offending: checked.offendingOperations, node: { $0 })
            }
        } catch {
            failures.append("invalid history: \(error)")
        }
        let compactions = settings.servers.map { simulator.node($0)?.server?.compactionsApplied ?? 0 }.max() ?? 0
        let shape = "\(settings.servers.count) servers, \(operations) ops, \(compactions) MVCC compactions, \(plan.summary)"
        let passed = failures.isEmpty
        let summary =
            passed
            ? "ok: \(verdict); \(shape)"
            : "FAILED: \(failures.joined(separator: "; ")); \(shape); replay: concord sim raft-mvcc --seed \(seed)"
                + (bug.map { " --bug \($0.rawValue)" } ?? "")
        return Report(
            passed: passed, verdict: summary, trace: recordsTrace ? simulator.trace : [],
            traceHash: simulator.traceHash, operations: operations, compactions: compactions,
            recording: simulator.recording, recordedOperations: recordedOperations)
    }

    /// Replicas that applied the same prefix of the log must hold the same
    /// store: compares every pair at equal applied index.
    static func replicaDivergence(_ simulator: borrowing Simulator<MVCCLabNode>, _ settings: RaftLabSettings) -> [String] {
        var byIndex: [UInt64: (NodeID, MVCCStore)] = [:]
        var failures: [String] = []
        for id in settings.servers {
            guard let server = simulator.node(id)?.server else { continue }
            let applied = server.node.appliedIndex
            if let (other, store) = byIndex[applied] {
                if store != server.stateMachine.store {
                    failures.append("replicas n\(other) and n\(id) differ at applied index \(applied)")
                }
            } else {
                byIndex[applied] = (id, server.stateMachine.store)
            }
        }
        return failures
    }

}
