import ConcordChecker
import ConcordFoundation
import ConcordSimulation
import ConcordTransactions

/// One seeded run of a commit protocol under a swarm of faults, and its checks.
///
/// The client starts `transactions` transactions while faults strike. At
/// the end of the safety phase every server is brought back (restarted,
/// resumed, the network healed and made lossless), and the run continues
/// until every participant has decided every transaction it voted yes on,
/// or `livenessBound` passes. The checks:
/// - atomicity: no transaction is committed by one party and aborted by
///   another (decisions are read from every party's durable log);
/// - liveness: once the coordinator is back, no participant stays uncertain.
struct CommitRun<P: AtomicCommitProtocol> {
    /// How long after the safety phase every participant must have decided.
    static var livenessBound: SimulationDuration { .seconds(5) }
    /// How often the liveness phase checks whether the run has settled.
    static var settleCheckInterval: SimulationDuration { .milliseconds(50) }

    var configuration: CommitConfiguration
    var limits: FaultLimits
    /// The network before any fault changes it.
    var network = NetworkConditions()
    /// A slow disk (1–10 ms a sync) widens the windows in which a crash
    /// finds a record not yet durable.
    var disk = DiskConditions(syncLatencyMin: .milliseconds(1), syncLatencyMax: .milliseconds(10))

    /// When set, on top of the swarm plan every server crashes on its own
    /// schedule: after a pause drawn up to twice this mean, for 5–50 ms.
    /// Safe for protocols whose safety needs no bound on failures.
    var crashStormMeanInterval: SimulationDuration?

    /// Adds independent crash-and-restart pairs for every server.
    func scheduleCrashStorm(on simulator: inout Simulator<CommitNode<P>>, seed: UInt64, until end: SimulationInstant) {
        guard let mean = crashStormMeanInterval else { return }
        var random = SeededRandom(seed: seed ^ 0x5707_3C4A_5417_0000)
        for server in configuration.servers {
            var time = SimulationInstant.zero
            while true {
                time += .nanoseconds(random.next(in: 1...(2 * mean.nanoseconds)))
                guard time < end else { break }
                let downtime = SimulationDuration.nanoseconds(random.next(in: 5_000_000...50_000_000))
                simulator.schedule(.crash(server), at: time)
                simulator.schedule(.restart(server), at: time + downtime)
                time += downtime
            }
        }
    }

    func run(seed: UInt64, recordTimeline: Bool, recordEvents: Bool = false) -> ScenarioResult {
        let configuration = configuration
        var simulator = Simulator<CommitNode<P>>(
            seed: seed, nodeIDs: configuration.servers + [CommitConfiguration.client], network: network,
            disk: disk, recordsTrace: recordTimeline, recordsEvents: recordEvents,
            makeNode: { id, durable, context in
                CommitNode<P>(id: id, durable: durable, configuration: configuration, context: &context)
            })
        let safetyPhase = configuration.requestInterval * Int64(configuration.transactions + 5)
        let plan = FaultPlan.random(seed: seed, nodes: configuration.servers, safetyPhase: safetyPhase, limits: limits)
        plan.schedule(on: &simulator)
        scheduleCrashStorm(on: &simulator, seed: seed, until: plan.healedAt)
        simulator.schedule(.heal, at: plan.healedAt)
        simulator.schedule(.network(NetworkConditions(latencyMin: plan.network.latencyMin, latencyMax: plan.network.latencyMax)),
                           at: plan.healedAt)
        for server in configuration.servers {
            simulator.schedule(.restart(server), at: plan.healedAt)
            simulator.schedule(.resume(server), at: plan.healedAt)
        }
        simulator.run(until: plan.healedAt)
        let deadline = plan.healedAt + Self.livenessBound
        while simulator.now < deadline, !Self.settled(simulator, configuration) {
            simulator.run(until: min(deadline, simulator.now + Self.settleCheckInterval))
        }

        let checker = Self.check(simulator, configuration)
        var problems = checker.violations
        for participant in configuration.participants {
            let undecided = simulator.node(participant)?.undecided ?? []
            if !undecided.isEmpty {
                problems.append("n\(participant) still uncertain about \(undecided.map(\.description).joined(separator: ",")) "
                                + "\(Self.livenessBound) after healing")
            }
        }
        let counts = checker.counts
        let faults = plan.summary + (crashStormMeanInterval.map { ", plus each server crashing every ~\($0)s" } ?? "")
        let verdict = problems.isEmpty
            ? "atomicity held: \(counts.committed) committed, \(counts.aborted) aborted; every participant decided (\(faults))"
            : problems.prefix(3).joined(separator: "; ") + " (\(faults))"
        return ScenarioResult(passed: problems.isEmpty, verdict: verdict,
                              timeline: recordTimeline ? TimelineFilter.readable(simulator.trace) : [], traceHash: simulator.traceHash,
                              recording: simulator.recording)
    }

    static func settled(_ simulator: Simulator<CommitNode<P>>, _ configuration: CommitConfiguration) -> Bool {
        configuration.participants.allSatisfy { simulator.node($0)?.undecided.isEmpty ?? false }
    }

    /// Reads every party's durable decisions into an atomicity checker.
    static func check(_ simulator: Simulator<CommitNode<P>>, _ configuration: CommitConfiguration) -> AtomicCommitCheck {
        var checker = AtomicCommitCheck()
        for server in configuration.servers {
            let reports: [Transactions.DecisionReport]
            switch simulator.durableState(of: server) {
            case .coordinator(let log, _)?: reports = P.decisions(in: log.records)
            case .participant(let log)?: reports = P.decisions(in: log.records)
            case nil: reports = []
            }
            for report in reports {
                checker.observe(TransactionChecks.observation(party: server, report))
            }
        }
        return checker
    }
}
