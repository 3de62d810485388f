import ConcordFoundation
import ConcordPaxos
import ConcordSimulation

/// The `multi-paxos` scenario: a replicated key-value store on 3 or 5
/// Multi-Paxos servers (`MultiPaxosNode`). The seed draws the server count,
/// CheckQuorum, slots per accept, the pipelining window, snapshot chunk
/// size, forwarding or refusing proposals on followers, compaction
/// interval, lease reads (with a declared clock-drift bound) or read
/// quorums, and the quorum sizes (majorities, or flexible ones), and the
/// swarm faults. See ``PaxosLabRun`` for the phases and checks.
enum MultiPaxosScenario {
    static let safetyPhase = SimulationDuration.milliseconds(2000)
    static let shortSafetyPhase = SimulationDuration.milliseconds(300)
    static let clientCount = 6
    static let firstClient = 101
    /// The clock-drift bound declared in runs that read from leases.
    static let leaseDriftBoundTicks = 2
    static let bugs: [PaxosBug] = [.skipPhaseOneRecovery, .nonIntersectingQuorums, .acceptLowerBallot, .answerBeforeDurable]

    static let scenario = Scenario(
        name: "multi-paxos",
        summary: "Multi-Paxos key-value store, 3 or 5 servers, flexible quorums, leases, compaction, swarm faults, linearizability and liveness checked",
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

    /// The core settings a run uses, drawn from `random`.
    static func configuration(servers: [NodeID], bug: PaxosBug?, random: inout SeededRandom)
        -> (MultiPaxosConfiguration, quorums: (phaseOne: Int, phaseTwo: Int)?)
    {
        var configuration = MultiPaxosConfiguration(id: 1, replicas: servers.map { ReplicaID($0) })
        configuration.electionTimeoutTicks = 10
        configuration.heartbeatIntervalTicks = 2
        configuration.checkQuorum = random.chance(perMillion: 500_000)
        configuration.entriesPerMessageMax = [1, 4, 64][random.index(below: 3)]
        configuration.inflightMessagesMax = [1, 4, 64][random.index(below: 3)]
        configuration.snapshotChunkBytesMax = [16, 128, 64 << 10][random.index(below: 3)]
        configuration.forwardsProposals = random.chance(perMillion: 500_000)
        if configuration.checkQuorum && random.chance(perMillion: 300_000) {
            configuration.clockDriftBoundTicks = leaseDriftBoundTicks
        }
        let quorums = PaxosLabQuorums.draw(servers: servers.count, bug: bug, random: &random)
        configuration.phaseOneQuorum = quorums?.phaseOne
        configuration.phaseTwoQuorum = quorums?.phaseTwo
        configuration.testingBugs = bug.map { [$0] } ?? []
        return (configuration, quorums)
    }

    static func execute(
        seed: UInt64, bug: PaxosBug?, recordsTrace: Bool, safetyPhase: SimulationDuration = safetyPhase,
        recordsEvents: Bool = false
    ) -> PaxosLabRun.Report {
        var random = SeededRandom(seed: seed ^ 0x3A17_0000_5EED_0002)
        let serverCount = random.chance(perMillion: 500_000) ? 3 : 5
        let servers = Array(1...serverCount)
        let (configuration, quorums) = configuration(servers: servers, bug: bug, random: &random)
        var settings = PaxosLabSettings(
            servers: servers, clients: Array(firstClient..<(firstClient + clientCount)),
            clientsStopAt: .zero + safetyPhase)
        settings.compactionEntries = [8, 48][random.index(below: 2)]
        let profile = PaxosLabRun.drawProfile(&random)
        let monitor = PaxosSafetyMonitor()
        let reads = configuration.clockDriftBoundTicks == nil ? "read quorums" : "lease reads"
        let shape =
            "\(profile), \(PaxosLabQuorums.describe(quorums)), \(reads), \(configuration.checkQuorum ? "check-quorum" : "no check-quorum"), \(configuration.entriesPerMessageMax) slots per accept, window \(configuration.inflightMessagesMax)"
        return PaxosLabRun.execute(
            PaxosLabRun.Setup<MultiPaxosKVServer>(
                seed: seed, settings: settings, safetyPhase: safetyPhase, recordsTrace: recordsTrace,
                recordsEvents: recordsEvents, requiresLeader: true,
                healsEveryServer: PaxosLabQuorums.needsEveryServer(quorums, servers: serverCount), shape: shape,
                monitor: monitor, profile: profile,
                makeServer: { id, durable, context in
                    MultiPaxosKVServer(
                        id: id, durable: durable, configuration: configuration, settings: settings, monitor: monitor,
                        context: &context)
                }))
    }
}
