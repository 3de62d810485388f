import ConcordFoundation
import ConcordChecker
import ConcordRaft
import ConcordSimulation

/// The `raft` scenario: a replicated key-value store on 3 or 5 Raft servers
/// (chosen by the seed) with simulated clients, under swarm faults (crashes
/// that lose unsynced writes, pauses, partitions, one-way blocks, loss,
/// duplication, reordering, clock skew, drift and jumps).
///
/// A run has a safety phase with faults, then a liveness phase: at
/// `FaultPlan.healedAt` a majority is healed and clients stop starting new
/// operations; every operation still pending must complete within
/// `livenessBound`, and a leader must exist. The run passes when the client
/// history is linearizable (`ConcordChecker`), the safety monitor saw no
/// violation of Election Safety or State Machine Safety, and the liveness
/// bound held.
public enum RaftScenario {
    /// How long faults strike in `concord sim raft` and the bug hunts.
    public static let safetyPhase = SimulationDuration.milliseconds(2000)
    /// How long faults strike in the short runs of the large CI sweep.
    public static let shortSafetyPhase = SimulationDuration.milliseconds(300)
    /// Dense faults: with election timeouts of 100–200 ms, leaders change
    /// often, which is where Raft's bugs live.
    public static let faultLimits = FaultLimits(
        faultIntervalMin: .milliseconds(10), faultIntervalMax: .milliseconds(60))
    /// Slow syncs widen the window between a write and its durability.
    public static let disk = DiskConditions(syncLatencyMin: .microseconds(200), syncLatencyMax: .milliseconds(20))
    /// How long after healing every pending operation must have completed.
    public static let livenessBound = SimulationDuration.seconds(3)
    /// The linearizability search budget per key. Histories of a run are a
    /// few hundred operations over three keys; a budget exhausted gives an
    /// `unknown` verdict, which is reported but does not fail the run.
    public static let checkBudget = CheckBudget.steps(300_000)
    /// The most simulator events a run may take. Correct runs take a few
    /// tens of thousands; a broken protocol can start a storm of messages
    /// that answer one another, which this bound stops (and reports).
    public static let eventsMax = 300_000
    /// How many clients issue operations.
    public static let clientCount = 6
    /// The first client's node id (servers are 1…n).
    static let firstClient = 101

    /// The scenario, as registered in `Scenarios.all`.
    public static let scenario = Scenario(
        name: "raft",
        summary: "Raft key-value store, 3 or 5 servers, swarm faults, linearizability and liveness checked",
        run: run
    )

    /// Runs the scenario once.
    @Sendable public static func run(_ options: ScenarioOptions) -> ScenarioResult {
        let bug: RaftBug?
        if let name = options.bug {
            guard let known = RaftBug(rawValue: name) else {
                return ScenarioResult(
                    passed: false,
                    verdict: "unknown bug \(name); known: \(RaftBug.allCases.map(\.rawValue).joined(separator: ", "))",
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
        /// The simulator's recording and the checked operations, when asked for.
        var recording: SimulationRecording? = nil
        var recordedOperations: [RecordedOperation] = []
    }

    /// The settings of a run, derived from its seed (swarm testing: the
    /// seed also varies batching, windows, chunk sizes and PreVote), with
    /// CheckQuorum always on and 3 unhurried clients over 3 keys. Other
    /// scenarios built on this lab (the MVCC store's) use these.
    static func settings(seed: UInt64, bug: RaftBug?, clientsStopAt: SimulationInstant) -> RaftLabSettings {
        derivedSettings(seed: seed, bug: bug, clientsStopAt: clientsStopAt, variesCheckQuorum: false, clients: 3)
    }

    /// The settings of a `raft` run: those of `settings`, but CheckQuorum
    /// is also drawn from the seed (without it a deposed leader can linger
    /// in a minority: a correct core stays safe, and broken ones show it
    /// sooner), and `clientCount` eager clients contend on 2 keys, retrying
    /// after 50 ms.
    static func swarmSettings(seed: UInt64, bug: RaftBug?, clientsStopAt: SimulationInstant) -> RaftLabSettings {
        var settings = derivedSettings(
            seed: seed, bug: bug, clientsStopAt: clientsStopAt, variesCheckQuorum: true, clients: clientCount)
        settings.requestTimeout = .milliseconds(50)
        settings.thinkTimeMax = .milliseconds(3)
        settings.keys = ["k0", "k1"]
        return settings
    }

    private static func derivedSettings(
        seed: UInt64, bug: RaftBug?, clientsStopAt: SimulationInstant, variesCheckQuorum: Bool, clients: Int
    ) -> RaftLabSettings {
        var random = SeededRandom(seed: seed ^ 0x7AF7_0000_5EED_0001)
        let serverCount = random.chance(perMillion: 500_000) ? 3 : 5
        var raft = RaftConfiguration(id: 1)
        raft.electionTimeoutTicks = 10
        raft.heartbeatIntervalTicks = 2
        raft.preVote = random.chance(perMillion: 800_000)
        raft.checkQuorum = variesCheckQuorum ? random.chance(perMillion: 500_000) : true
        raft.entriesPerMessageMax = [1, 4, 64][random.index(below: 3)]
        raft.inflightMessagesMax = [1, 4, 64][random.index(below: 3)]
        raft.snapshotChunkBytesMax = [16, 128, 64 << 10][random.index(below: 3)]
        raft.proposalForwarding = random.chance(perMillion: 500_000) ? .forwardToLeader : .reject
        raft.testingBugs = bug.map { [$0] } ?? []
        var settings = RaftLabSettings(
            servers: Array(1...serverCount),
            clients: Array(firstClient..<(firstClient + clients)),
            raft: raft,
            clientsStopAt: clientsStopAt)
        settings.compactionEntries = [8, 48][random.index(below: 2)]
        return settings
    }

    /// The fault profiles of a run.
    enum Profile: Sendable {
        /// Swarm faults only.
        case swarm
        /// Swarm faults plus `RaftFaultHunter`'s crashes aimed at voters
        /// just after they grant a vote and at leaders just after they are
        /// elected: the profile of the bug hunts, which the correct core
        /// passes as well.
        case hunting
    }

    static func execute(
        seed: UInt64, bug: RaftBug?, recordsTrace: Bool, safetyPhase: SimulationDuration = safetyPhase,
        profile: Profile = .swarm, recordsEvents: Bool = false
    ) -> Report {
        let healedAt = SimulationInstant.zero + safetyPhase
        let settings = swarmSettings(seed: seed, bug: bug, clientsStopAt: healedAt)
        let plan = FaultPlan.random(seed: seed, nodes: settings.servers, safetyPhase: safetyPhase, limits: faultLimits)
        let monitor = RaftSafetyMonitor()
        var simulator = Simulator<RaftKVLabNode>(
            seed: seed, nodeIDs: settings.servers + settings.clients, disk: disk, recordsTrace: recordsTrace,
            recordsEvents: recordsEvents, describeMessage: { $0.description },
            makeNode: { id, durable, context in
                if settings.servers.contains(id) {
                    return .server(RaftKVServer(id: id, durable: durable, settings: settings, monitor: monitor, context: &context))
                }
                return .client(RaftKVClient(id: id, settings: settings, context: &context))
            })
        plan.schedule(on: &simulator)
        switch profile {
        case .swarm:
            simulator.run(until: plan.healedAt) { $0.eventsHandled < eventsMax }
        case .hunting:
            var hunter = RaftFaultHunter(seed: seed, servers: settings.servers, healedAt: plan.healedAt)
            while simulator.now < plan.healedAt && simulator.eventsHandled < eventsMax {
                var strike: RaftFaultHunter.Strike?
                simulator.run(until: plan.healedAt) { simulator in
                    guard simulator.eventsHandled < eventsMax else { return false }
                    strike = hunter.observe(simulator)
                    return strike == nil
                }
                guard let strike else { break }
                simulator.schedule(.crash(strike.node), at: strike.crashAt)
                simulator.schedule(.restart(strike.node), at: strike.restartAt)
            }
        }
        let deadline = plan.healedAt + livenessBound
        simulator.run(until: deadline) { simulator in
            simulator.eventsHandled < eventsMax
                && (!RaftLabProgress.allClientsIdle(simulator, settings) || !RaftLabProgress.hasLeader(simulator, settings))
        }
        let idle = RaftLabProgress.allClientsIdle(simulator, settings)
        let leader = RaftLabProgress.hasLeader(simulator, settings)
        let history = RaftLabProgress.collectHistory(simulator, settings)
        let operations = history.filter { $0.kind == .invoke }.count

        var failures: [String] = monitor.violations
        if simulator.eventsHandled >= eventsMax {
            failures.append("event storm: \(eventsMax) events by \(simulator.now)")
        }
        if !idle { failures.append("liveness: operations still pending \(livenessBound) after healing") }
        if !leader { failures.append("liveness: no leader \(livenessBound) after healing") }
        var verdict = "history not checked (the run already failed)"
        var recordedOperations: [RecordedOperation] = []
        if monitor.violations.isEmpty {
            do {
                let checkedHistory = try History(history)
                let checked = checkLinearizability(checkedHistory, model: .kv, budget: checkBudget)
                verdict = checked.description
                if case .notLinearizable = checked { failures.append("history \(checked)") }
                if recordsEvents {
                    recordedOperations = RecordedOperation.operations(
                        of: checkedHistory, offending: checked.offendingOperations, node: { $0 })
                }
            } catch {
                failures.append("invalid history: \(error)")
            }
        }
        let shape = "\(settings.servers.count) servers, \(operations) ops, \(plan.summary)"
        let passed = failures.isEmpty
        let summary =
            passed
            ? "\(verdict); \(monitor.leaderCount) terms with a leader; \(shape)"
            : "\(failures.joined(separator: "; ")); \(shape)"
        return Report(
            passed: passed, verdict: summary, trace: recordsTrace ? simulator.trace : [],
            traceHash: simulator.traceHash, operations: operations, recording: simulator.recording,
            recordedOperations: recordedOperations)
    }

}
