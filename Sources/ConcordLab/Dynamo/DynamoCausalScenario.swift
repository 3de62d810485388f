import ConcordChecker
import ConcordDynamo
import ConcordSimulation

/// The `dynamo-causal` scenario: clients read and write sibling keys in
/// causal mode at R = W = 1 or QUORUM (writes carry their session's
/// dependencies; replicas show a write only once its dependencies are
/// visible at every replica of their keys), under swarm faults. After the
/// heal the members must converge with no pending write left, no
/// acknowledged write may be lost, the whole history must satisfy the
/// session guarantees across keys, and ConcordChecker's causal checker must
/// find no violation. With the bug switch `causal-dependency-not-waited`
/// the causal checker catches the store showing writes too early.
public enum DynamoCausalScenario {
    public static let safetyPhase = SimulationDuration.seconds(2)
    public static let shortSafetyPhase = SimulationDuration.milliseconds(600)
    /// Partitions, crashes, pauses and lossy, slow links: what delays
    /// replication and so exposes writes shown before their dependencies.
    static let faultLimits = FaultLimits(kinds: [.crash, .pause, .partition, .block, .network], allowsMajorityDown: true)

    public static let scenario = Scenario(
        name: "dynamo-causal",
        summary: "causal mode (COPS-style dependencies) under swarm faults; causal checker, sessions across keys (bug: causal-dependency-not-waited)",
        run: run)

    @Sendable static func run(_ options: ScenarioOptions) -> ScenarioResult {
        let bug: DynamoBug?
        switch DynamoScenario.parseBug(options.bug) {
        case .success(let parsed): bug = parsed
        case .failure(let message): return ScenarioResult(passed: false, verdict: message.text, traceHash: 0)
        }
        let report = execute(seed: options.seed, bug: bug, recordsTrace: options.recordTimeline, recordsEvents: options.recordEvents)
        return report.result
    }

    static func settings(seed: UInt64, clientsStopAt: SimulationInstant, bug: DynamoBug?) -> DynamoLabSettings {
        var settings = DynamoLabSettings.swarm(seed: seed, clientsStopAt: clientsStopAt, bug: bug)
        settings.joining = nil
        settings.leaving = nil
        settings.sessions = true
        // Quick clients, each on its home member, on few keys: a reader on
        // one member right after a writer on another is where a write shown
        // before its dependency shows.
        settings.clients = Array(DynamoLabSettings.firstClient..<(DynamoLabSettings.firstClient + 5))
        settings.homes = settings.members.map { [$0] }
        settings.thinkTimeMax = .milliseconds(5)
        settings.workload = DynamoLabWorkload(registerKeys: ["x", "y", "z"], counterKeys: [], setKeys: [], deletes: false)
        settings.dynamo.collectsTombstones = false
        let quorum = seed % 3 == 0
        settings.consistencies = [
            RequestConsistency(read: .one, write: .one, causal: true),
            RequestConsistency(read: quorum ? .quorum : .one, write: quorum ? .quorum : .one, causal: true),
        ]
        return settings
    }

    static func execute(
        seed: UInt64, bug: DynamoBug?, recordsTrace: Bool, safetyPhase: SimulationDuration = safetyPhase,
        recordsEvents: Bool = false
    ) -> DynamoScenario.Report {
        let healedAt = SimulationInstant.zero + safetyPhase
        let settings = settings(seed: seed, clientsStopAt: healedAt, bug: bug)
        let plan = FaultPlan.random(seed: seed, nodes: settings.servers, safetyPhase: safetyPhase, limits: faultLimits)
        var run = DynamoLabRun(seed: seed, settings: settings, recordsTrace: recordsTrace, recordsEvents: recordsEvents)
        plan.schedule(on: &run.simulator)
        run.run(until: healedAt)
        run.healEverything()
        let converged = DynamoScenario.converge(&run, from: healedAt)
        let records = run.records
        var failures: [String] = []
        if converged == nil {
            failures.append("not converged \(DynamoScenario.convergenceBound) after healing: " + run.divergence().prefix(3).joined(separator: "; "))
        } else {
            let reach = CausalReach(records)
            for key in settings.workload.registerKeys {
                failures += DynamoLabChecks.lostAndResurrected(records, key: key, final: run.finalCopy(of: key), causal: reach)
            }
        }
        failures += DynamoLabChecks.sessions(records, keys: settings.workload.registerKeys, acrossKeys: true)
        var causalSummary = "causal checker not run"
        do {
            let report = try checkCausalConsistency(DynamoLabChecks.causalHistory(records))
            causalSummary = "causal: \(report.operationsChecked) operations checked"
            if let violation = report.violations.first {
                failures.append("causal violation (\(violation.kind.rawValue)): \(violation.explanation)")
            }
        } catch {
            failures.append("causal history not checkable: \(error)")
        }
        let ok = records.filter { $0.outcome == .ok }.count
        let shape = "\(settings.members.count) members N=\(settings.dynamo.replicationFactor), "
            + settings.consistencies.map(\.description).joined(separator: " | ") + ", \(records.count) ops (\(ok) ok), \(plan.summary)"
        let passed = failures.isEmpty
        let verdict = passed
            ? "converged \(converged!)s after healing; \(causalSummary), no violation; sessions hold across keys; \(shape)"
            : "\(failures.prefix(3).joined(separator: "; ")); \(shape)"
        var timeline: [String] = []
        if recordsTrace {
            timeline.append("seed \(seed): \(plan.summary)")
            timeline += run.simulator.trace.filter(DynamoLabRun.isTimelineLine)
        }
        return DynamoScenario.Report(
            passed: passed, verdict: verdict, timeline: timeline, traceHash: run.simulator.traceHash,
            convergedAfter: converged, operations: records.count, recording: run.simulator.recording)
    }
}
