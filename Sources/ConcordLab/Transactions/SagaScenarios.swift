import ConcordSimulation
import ConcordTransactions

/// The saga scenarios of `concord sim`: an orchestrated saga under a swarm
/// of faults, its services rejecting some actions, and a check that every
/// saga ended completed or fully compensated with no effect applied twice.
enum SagaScenarios {
    /// Every kind of fault; a majority may be down at once.
    static let limits = FaultLimits(kinds: .all, faultIntervalMin: .milliseconds(20),
                                    faultIntervalMax: .milliseconds(200), allowsMajorityDown: true)
    /// How long after the safety phase every saga must have finished.
    static let livenessBound = SimulationDuration.seconds(10)
    static let settleCheckInterval = SimulationDuration.milliseconds(50)

    static let checkoutSteps = Transactions.SagaExamples.checkout(order: 1, payment: 2, inventory: 3, shipping: 4)
    static let travelSteps = Transactions.SagaExamples.travel(flight: 1, hotel: 2, car: 3)

    static func checkout(_ options: ScenarioOptions) -> ScenarioResult {
        run(steps: checkoutSteps, options: options)
    }

    static func travel(_ options: ScenarioOptions) -> ScenarioResult {
        run(steps: travelSteps, options: options)
    }

    static func run(steps: [Transactions.SagaStep], options: ScenarioOptions) -> ScenarioResult {
        var configuration = SagaConfiguration(steps: steps)
        if let name = options.bug {
            guard let bug = SagaBug(rawValue: name) else {
                let known = SagaBug.allCases.map(\.rawValue).joined(separator: ", ")
                return ScenarioFailure(verdict: "unknown bug '\(name)'; known: \(known)").result
            }
            configuration.bug = bug
        }
        let fixed = configuration
        var simulator = Simulator<SagaNode>(
            seed: options.seed, nodeIDs: configuration.servers + [SagaConfiguration.client],
            disk: DiskConditions(syncLatencyMin: .milliseconds(1), syncLatencyMax: .milliseconds(10)),
            recordsTrace: options.recordTimeline, recordsEvents: options.recordEvents,
            makeNode: { id, durable, context in
                SagaNode(id: id, durable: durable, configuration: fixed, context: &context)
            })
        let safetyPhase = configuration.requestInterval * Int64(configuration.sagas + 5)
        let plan = FaultPlan.random(seed: options.seed, nodes: configuration.servers, safetyPhase: safetyPhase, limits: limits)
        plan.schedule(on: &simulator)
        simulator.schedule(.heal, at: plan.healedAt)
        simulator.schedule(.network(NetworkConditions(latencyMin: plan.network.latencyMin, latencyMax: plan.network.latencyMax)),
                           at: plan.healedAt)
        for server in configuration.servers {
            simulator.schedule(.restart(server), at: plan.healedAt)
            simulator.schedule(.resume(server), at: plan.healedAt)
        }
        simulator.run(until: plan.healedAt)
        let deadline = plan.healedAt + livenessBound
        while simulator.now < deadline, !(simulator.node(SagaConfiguration.orchestrator)?.unfinishedSagas.isEmpty ?? false) {
            simulator.run(until: min(deadline, simulator.now + settleCheckInterval))
        }
        // Let the last records reach the disks.
        simulator.run(until: simulator.now + .milliseconds(100))

        var serviceLogs: [Int: [Transactions.SagaServiceRecord]] = [:]
        for service in configuration.services {
            if case .service(let log)? = simulator.durableState(of: service) { serviceLogs[service] = log.records }
        }
        var orchestratorLog: [Transactions.SagaRecord] = []
        if case .orchestrator(let log)? = simulator.durableState(of: SagaConfiguration.orchestrator) { orchestratorLog = log.records }
        let summary = TransactionChecks.sagaCheck(orchestratorLog: orchestratorLog, serviceLogs: serviceLogs).check()
        let verdict = summary.problems.isEmpty
            ? "every saga ended: \(summary.completed) completed, \(summary.compensated) compensated, no effect applied twice (\(plan.summary))"
            : summary.problems.prefix(3).joined(separator: "; ") + " (\(plan.summary))"
        return ScenarioResult(passed: summary.problems.isEmpty, verdict: verdict,
                              timeline: options.recordTimeline ? TimelineFilter.readable(simulator.trace) : [], traceHash: simulator.traceHash,
                              recording: simulator.recording)
    }
}
