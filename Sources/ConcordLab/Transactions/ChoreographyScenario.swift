import ConcordSimulation
import ConcordTransactions

/// The choreographed checkout on the simulated network: no orchestrator;
/// order, payment, inventory and shipping react to one another's events,
/// delivered at least once through each service's durable outbox, under a
/// swarm of faults. Every saga must end completed (every service applied)
/// or compensated (no service's action in effect), and no action may take
/// effect twice.
enum ChoreographyScenario {
    static let limits = SagaScenarios.limits
    static let livenessBound = SimulationDuration.seconds(10)

    static func run(_ options: ScenarioOptions) -> ScenarioResult {
        var configuration = ChoreographyConfiguration()
        if let name = options.bug {
            guard let bug = ChoreographyBug(rawValue: name) else {
                let known = ChoreographyBug.allCases.map(\.rawValue).joined(separator: ", ")
                return ScenarioFailure(verdict: "unknown bug '\(name)'; known: \(known)").result
            }
            configuration.bug = bug
        }
        let fixed = configuration
        let nodes = configuration.serviceIDs + [ChoreographyConfiguration.client]
        var simulator = Simulator<ChoreographyNode>(
            seed: options.seed, nodeIDs: nodes,
            disk: DiskConditions(syncLatencyMin: .milliseconds(1), syncLatencyMax: .milliseconds(10)),
            recordsTrace: options.recordTimeline, recordsEvents: options.recordEvents,
            makeNode: { id, durable, context in
                ChoreographyNode(id: id, durable: durable, configuration: fixed, context: &context)
            })
        let safetyPhase = configuration.requestInterval * Int64(configuration.sagas + 5)
        let plan = FaultPlan.random(seed: options.seed, nodes: configuration.serviceIDs, safetyPhase: safetyPhase, limits: limits)
        plan.schedule(on: &simulator)
        simulator.schedule(.heal, at: plan.healedAt)
        simulator.schedule(.network(NetworkConditions(latencyMin: plan.network.latencyMin, latencyMax: plan.network.latencyMax)),
                           at: plan.healedAt)
        for service in configuration.serviceIDs {
            simulator.schedule(.restart(service), at: plan.healedAt)
            simulator.schedule(.resume(service), at: plan.healedAt)
        }
        simulator.run(until: plan.healedAt)
        let deadline = plan.healedAt + livenessBound
        while simulator.now < deadline, !check(simulator, configuration).settled {
            simulator.run(until: min(deadline, simulator.now + .milliseconds(50)))
        }
        let summary = check(simulator, configuration)
        let verdict = summary.problems.isEmpty
            ? "every saga ended: \(summary.completed) completed, \(summary.compensated) compensated, no action applied twice (\(plan.summary))"
            : summary.problems.prefix(3).joined(separator: "; ") + " (\(plan.summary))"
        return ScenarioResult(passed: summary.problems.isEmpty, verdict: verdict,
                              timeline: options.recordTimeline ? TimelineFilter.readable(simulator.trace) : [],
                              traceHash: simulator.traceHash, recording: simulator.recording)
    }

    struct Summary {
        var completed = 0
        var compensated = 0
        var settled = true
        var problems: [String] = []
    }

    static func check(_ simulator: Simulator<ChoreographyNode>, _ configuration: ChoreographyConfiguration) -> Summary {
        var summary = Summary()
        let nodes = (configuration.serviceIDs + [ChoreographyConfiguration.client]).map { simulator.node($0) }
        if nodes.contains(where: { $0 == nil || !$0!.isQuiet }) { summary.settled = false }
        let services = configuration.serviceIDs.compactMap { simulator.node($0) }
        guard services.count == configuration.serviceIDs.count else {
            summary.problems.append("a service is still down")
            return summary
        }
        for raw in 1...UInt64(configuration.sagas) {
            let saga = Transactions.TransactionID(raw)
            let outcomes = services.map { $0.service!.outcome(of: saga) }
            if outcomes.allSatisfy({ $0 == .applied }) {
                summary.completed += 1
            } else if !outcomes.contains(.applied) {
                summary.compensated += 1
            } else {
                summary.settled = false
                let shown = zip(configuration.names, outcomes).map { "\($0.0)=\($0.1.map { "\($0)" } ?? "-")" }
                summary.problems.append("saga \(saga) stopped half-way: \(shown.joined(separator: " "))")
            }
            for (name, service) in zip(configuration.names, services) {
                let applied = service.applied[saga] ?? 0, undone = service.undone[saga] ?? 0
                if applied > 1 { summary.problems.append("\(name) applied \(saga) \(applied) times") }
                if undone > applied { summary.problems.append("\(name) undid \(saga) more often than it applied it") }
            }
        }
        return summary
    }
}
