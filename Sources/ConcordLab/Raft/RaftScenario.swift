import ConcordChecker
import ConcordRaft
import ConcordSimulation

/// The `raft` scenario: the `server` scenario with Raft under test. The same
/// server cores, storage and clients run, with a Raft-focused workload
/// (`ServerLabSettings.focusOnRaft`): eager key-value clients on two keys,
/// CheckQuorum drawn from the seed, and Raft's test-only bugs (`--bug`
/// takes a `RaftBug` name). Runs check Raft's election and state machine
/// safety, the linearizability of the history and liveness after healing.
public enum RaftScenario {
    /// How long faults strike in a standard run.
    public static let safetyPhase = SimulationDuration.milliseconds(2000)
    /// The short runs of the CI sweep.
    public static let shortSafetyPhase = SimulationDuration.milliseconds(300)

    /// The scenario, as registered in `Scenarios.all`.
    public static let scenario = Scenario(
        name: "raft",
        summary: "Raft under the real server core: 3 or 5 members, swarm faults, eager clients on 2 keys, Raft's bug switches",
        run: run
    )

    @Sendable public static func run(_ options: ScenarioOptions) -> ScenarioResult {
        var bug: RaftBug?
        if let name = options.bug {
            guard let known = RaftBug(rawValue: name) else {
                return ScenarioResult(
                    passed: false, verdict: "unknown bug \(name); known: \(RaftBug.allCases.map(\.rawValue).joined(separator: ", "))",
                    traceHash: 0)
            }
            bug = known
        }
        let report = execute(seed: options.seed, bug: bug, recordsTrace: options.recordTimeline, recordsEvents: options.recordEvents)
        return report.result
    }

    /// Runs the scenario once.
    public static func execute(
        seed: UInt64, bug: RaftBug?, recordsTrace: Bool, safetyPhase: SimulationDuration = safetyPhase,
        profile: ServerScenario.Profile = .swarm, recordsEvents: Bool = false
    ) -> ServerScenario.Report {
        ServerScenario.execute(
            seed: seed, raftBug: bug, recordsTrace: recordsTrace, safetyPhase: safetyPhase, profile: profile, raftFocus: true,
            recordsEvents: recordsEvents)
    }
}
