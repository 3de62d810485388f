import ConcordFoundation
import ConcordPaxos
import ConcordSimulation

/// The `paxos` scenario: a replicated key-value store on 3 or 5 servers
/// whose log is a sequence of independent single-decree Paxos instances
/// (`PaxosNode`): no leader, every server proposes the requests it
/// receives, duelling proposers back off at random. The seed draws the
/// server count, the proposers' timeouts and back-off bound, the learning
/// settings and the quorum sizes (majorities, or flexible ones that
/// intersect), and the swarm faults. See ``PaxosLabRun`` for the phases and
/// checks.
enum PaxosScenario {
    /// How long faults strike in `concord sim paxos` and the bug hunts.
    static let safetyPhase = SimulationDuration.milliseconds(2000)
    /// How long faults strike in the short runs of the CI sweep.
    static let shortSafetyPhase = SimulationDuration.milliseconds(300)
    /// How many clients issue operations.
    static let clientCount = 6
    /// The first client's node id (servers are 1…n).
    static let firstClient = 101
    /// The bug switches this scenario knows.
    static let bugs: [PaxosBug] = [.acceptLowerBallot, .ignoreHighestAccepted, .answerBeforeDurable, .nonIntersectingQuorums]

    /// The scenario, as registered in `Scenarios.all`.
    static let scenario = Scenario(
        name: "paxos",
        summary: "single-decree Paxos per slot (leaderless log), key-value store, 3 or 5 servers, swarm faults, linearizability and liveness checked",
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
        var random = SeededRandom(seed: seed ^ 0x9A05_0000_5EED_0001)
        let serverCount = random.chance(perMillion: 500_000) ? 3 : 5
        let servers = Array(1...serverCount)
        var configuration = PaxosConfiguration(id: 1, replicas: servers.map { ReplicaID($0) })
        configuration.attemptTimeoutTicks = [4, 8, 12][random.index(below: 3)]
        configuration.backoffTicksMax = [8, 16, 32][random.index(below: 3)]
        configuration.gapTimeoutTicks = [1, 4][random.index(below: 2)]
        configuration.catchUpValuesMax = [1, 4, 64][random.index(below: 3)]
        let quorums = PaxosLabQuorums.draw(servers: serverCount, bug: bug, random: &random)
        configuration.phaseOneQuorum = quorums?.phaseOne
        configuration.phaseTwoQuorum = quorums?.phaseTwo
        configuration.testingBugs = bug.map { [$0] } ?? []
        let settings = PaxosLabSettings(
            servers: servers, clients: Array(firstClient..<(firstClient + clientCount)),
            clientsStopAt: .zero + safetyPhase)
        let profile = PaxosLabRun.drawProfile(&random)
        let monitor = PaxosSafetyMonitor()
        let shape =
            "\(profile), \(PaxosLabQuorums.describe(quorums)), attempt timeout \(configuration.attemptTimeoutTicks) ticks, back-off up to \(configuration.backoffTicksMax)"
        return PaxosLabRun.execute(
            PaxosLabRun.Setup<PaxosKVServer>(
                seed: seed, settings: settings, safetyPhase: safetyPhase, recordsTrace: recordsTrace,
                recordsEvents: recordsEvents, requiresLeader: false,
                healsEveryServer: PaxosLabQuorums.needsEveryServer(quorums, servers: serverCount), shape: shape,
                monitor: monitor, profile: profile,
                makeServer: { id, durable, context in
                    PaxosKVServer(
                        id: id, durable: durable, configuration: configuration, settings: settings, monitor: monitor,
                        context: &context)
                }))
    }
}
