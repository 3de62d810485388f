import ConcordFoundation
import ConcordPaxos
import ConcordSimulation

/// The `fast-paxos` scenario: a replicated key-value store on 3 or 5 Fast
/// Paxos servers (`FastPaxosNode`), with clients that send every request to
/// every server. The seed draws the server count, whether fast rounds are
/// opened at all, the coordinator's stall timeout, the chosen values per
/// commit message and CheckQuorum, and the swarm faults. See
/// ``PaxosLabRun`` for the phases and checks.
enum FastPaxosScenario {
    static let safetyPhase = SimulationDuration.milliseconds(2000)
    static let shortSafetyPhase = SimulationDuration.milliseconds(300)
    static let clientCount = 6
    static let firstClient = 101
    static let bugs: [PaxosBug] = [.fastQuorumTooSmall, .answerBeforeDurable]

    static let scenario = Scenario(
        name: "fast-paxos",
        summary: "Fast Paxos key-value store, 3 or 5 servers, clients broadcast to acceptors, collision recovery, swarm faults, linearizability and liveness checked",
        run: run
    )

    @Sendable static func run(_ options: ScenarioOptions) -> ScenarioResult {
        switch PaxosLabQuorums.parseBug(options.bug, known: bugs) {
        case .failure(let unknown):
            return ScenarioResult(passed: false, verdict: unknown.verdict, traceHash: 0)
        case .success(let bug):
            return execute(seed: options.seed, bug: bug, recordsTrace: options.recordTimeline, recordsEvents: options.recordEvents).result
        }
    }

    static func execute(
        seed: UInt64, bug: PaxosBug?, recordsTrace: Bool, safetyPhase: SimulationDuration = safetyPhase,
        recordsEvents: Bool = false
    ) -> PaxosLabRun.Report {
        var random = SeededRandom(seed: seed ^ 0xFA57_0000_5EED_0003)
        let serverCount = random.chance(perMillion: 500_000) ? 3 : 5
        let servers = Array(1...serverCount)
        var configuration = FastPaxosConfiguration(id: 1, replicas: servers.map { ReplicaID($0) })
        configuration.electionTimeoutTicks = 10
        configuration.heartbeatIntervalTicks = 2
        configuration.fastRoundsEnabled = random.chance(perMillion: 900_000)
        configuration.stallTimeoutTicks = [4, 8][random.index(below: 2)]
        configuration.valuesPerMessageMax = [1, 64][random.index(below: 2)]
        configuration.checkQuorum = random.chance(perMillion: 500_000)
        configuration.testingBugs = bug.map { [$0] } ?? []
        var settings = PaxosLabSettings(
            servers: servers, clients: Array(firstClient..<(firstClient + clientCount)),
            clientsStopAt: .zero + safetyPhase)
        settings.clientsBroadcast = true
        let profile = PaxosLabRun.drawProfile(&random)
        let monitor = PaxosSafetyMonitor()
        guard case .success(let quorums) = configuration.quorums else { preconditionFailure("drawn settings are valid") }
        let shape =
            "\(profile), \(quorums), \(configuration.fastRoundsEnabled ? "fast rounds" : "classic rounds only"), stall timeout \(configuration.stallTimeoutTicks) ticks"
        return PaxosLabRun.execute(
            PaxosLabRun.Setup<FastPaxosKVServer>(
                seed: seed, settings: settings, safetyPhase: safetyPhase, recordsTrace: recordsTrace,
                recordsEvents: recordsEvents, requiresLeader: true,
                healsEveryServer: false, shape: shape, monitor: monitor, profile: profile,
                makeServer: { id, durable, context in
                    FastPaxosKVServer(
                        id: id, durable: durable, configuration: configuration, settings: settings, monitor: monitor,
                        context: &context)
                }))
    }
}
