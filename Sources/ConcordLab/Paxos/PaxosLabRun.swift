import ConcordChecker
import ConcordFoundation
import ConcordSimulation

/// One run of a Paxos-family key-value scenario, shared by `paxos`,
/// `multi-paxos` and `fast-paxos`: the same faults, phases and checks as
/// the `raft` scenario.
///
/// A run has a safety phase with swarm faults (crashes that lose unsynced
/// writes, pauses, partitions, one-way blocks, loss, duplication,
/// reordering, clock skew, drift and jumps), then a liveness phase: at
/// `FaultPlan.healedAt` a majority is healed (every server when the run's
/// quorums are larger than a majority, which a majority cannot serve) and
/// clients stop starting new operations; every pending operation must
/// complete within `livenessBound`, and in a protocol with a leader one
/// must exist. The run passes when the safety monitor saw at most one value
/// chosen per slot, the client history is linearizable (`ConcordChecker`)
/// and the liveness bound held.
enum PaxosLabRun {
    /// Dense faults, as in the `raft` scenario.
    static let faultLimits = FaultLimits(faultIntervalMin: .milliseconds(10), faultIntervalMax: .milliseconds(60))
    /// Slow syncs widen the window between a write and its durability.
    static let disk = DiskConditions(syncLatencyMin: .microseconds(200), syncLatencyMax: .milliseconds(20))
    /// How long after healing every pending operation must have completed.
    static let livenessBound = SimulationDuration.seconds(3)
    /// The linearizability search budget per key; an exhausted budget gives
    /// an `unknown` verdict, reported but not failing the run.
    static let checkBudget = CheckBudget.steps(300_000)
    /// The most simulator events a run may take (a storm is reported).
    static let eventsMax = 400_000

    /// What one run found.
    struct Report {
        var passed: Bool
        /// True when the safety monitor reported a violation or the history
        /// is not linearizable: a failure of safety, not of liveness alone.
        var safetyViolated: Bool
        var verdict: String
        var trace: [String]
        var traceHash: UInt64
        var operations: Int
        /// The simulator's recording and the checked operations, when
        /// `Setup.recordsEvents` asked for them.
        var recording: SimulationRecording? = nil
        var recordedOperations: [RecordedOperation] = []

        /// The report as a scenario's result.
        var result: ScenarioResult {
            ScenarioResult(
                passed: passed, verdict: verdict, timeline: trace, traceHash: traceHash, recording: recording,
                operations: recordedOperations)
        }
    }

    /// The fault profiles of a run.
    enum Profile: Sendable {
        /// Swarm faults only.
        case swarm
        /// Swarm faults plus `PaxosFaultHunter`'s crashes aimed at acceptors
        /// just after they answer and at leaders just after they start to
        /// lead: the profile of the durability bug hunts, which the correct
        /// cores pass as well.
        case hunting
    }

    /// Draws a run's fault profile: hunting in half of the runs, so that
    /// every seed replays with its own profile.
    static func drawProfile(_ random: inout SeededRandom) -> Profile {
        random.chance(perMillion: 500_000) ? .hunting : .swarm
    }

    /// What a scenario hands the runner.
    struct Setup<Server: PaxosLabServer> {
        var seed: UInt64
        var settings: PaxosLabSettings
        var safetyPhase: SimulationDuration
        var recordsTrace: Bool
        /// True to keep a `SimulationRecording` for the space-time diagram.
        var recordsEvents = false
        /// True when a server must lead at the end of the run.
        var requiresLeader: Bool
        /// True when the liveness phase heals every server, not a majority.
        var healsEveryServer: Bool
        /// One line on the run's drawn parameters, for the verdict.
        var shape: String
        var monitor: PaxosSafetyMonitor
        /// The fault profile.
        var profile: Profile = .swarm
        var makeServer: (NodeID, Server.Durable?, inout NodeContext<PaxosLabMessage<Server.Peer>, Server.Durable>) -> Server
    }

    static func execute<Server: PaxosLabServer>(_ setup: Setup<Server>) -> Report {
        let settings = setup.settings
        let healedAt = SimulationInstant.zero + setup.safetyPhase
        var plan = FaultPlan.random(seed: setup.seed, nodes: settings.servers, safetyPhase: setup.safetyPhase, limits: faultLimits)
        if setup.healsEveryServer { healEveryServer(&plan, at: healedAt) }
        var simulator = Simulator<PaxosLabNode<Server>>(
            seed: setup.seed, nodeIDs: settings.servers + settings.clients, disk: disk, recordsTrace: setup.recordsTrace,
            recordsEvents: setup.recordsEvents, describeMessage: { $0.description },
            makeNode: { id, durable, context in
                if settings.servers.contains(id) { return .server(setup.makeServer(id, durable, &context)) }
                return .client(PaxosKVClient(id: id, settings: settings, context: &context))
            })
        plan.schedule(on: &simulator)
        switch setup.profile {
        case .swarm:
            simulator.run(until: plan.healedAt) { $0.eventsHandled < eventsMax }
        case .hunting:
            var hunter = PaxosFaultHunter(seed: setup.seed, servers: settings.servers, healedAt: plan.healedAt)
            while simulator.now < plan.healedAt && simulator.eventsHandled < eventsMax {
                var strike: PaxosFaultHunter.Strike?
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
                && (!allClientsIdle(simulator, settings) || (setup.requiresLeader && !hasLeader(simulator, settings)))
        }
        let idle = allClientsIdle(simulator, settings)
        let leader = hasLeader(simulator, settings)
        let history = collectHistory(simulator, settings)
        let operations = history.filter { $0.kind == .invoke }.count

        let monitor = setup.monitor
        var failures = monitor.violations
        var safetyViolated = !monitor.violations.isEmpty
        if simulator.eventsHandled >= eventsMax { failures.append("event storm: \(eventsMax) events by \(simulator.now)") }
        if !idle { failures.append("liveness: operations still pending \(livenessBound) after healing") }
        if setup.requiresLeader && !leader { failures.append("liveness: no leader \(livenessBound) after healing") }
        var verdict = "history not checked (the run already failed)"
        var recordedOperations: [RecordedOperation] = []
        if monitor.violations.isEmpty {
            do {
                let checkedHistory = try History(history)
                let checked = checkLinearizability(checkedHistory, model: .kv, budget: checkBudget)
                verdict = checked.description
                if setup.recordsEvents {
                    // A client's process is its node id.
                    recordedOperations = RecordedOperation.operations(
                        of: checkedHistory, offending: checked.offendingOperations, node: { NodeID($0) })
                }
                if case .notLinearizable = checked {
                    failures.append("history \(checked)")
                    safetyViolated = true
                }
            } catch {
                failures.append("invalid history: \(error)")
            }
        }
        let shape = "\(settings.servers.count) servers, \(setup.shape), \(operations) ops, \(monitor.highestSlot) slots, \(plan.summary)"
        let passed = failures.isEmpty
        return Report(
            passed: passed, safetyViolated: safetyViolated, verdict: passed ? "\(verdict); \(shape)" : "\(failures.joined(separator: "; ")); \(shape)",
            trace: setup.recordsTrace ? simulator.trace : [], traceHash: simulator.traceHash, operations: operations,
            recording: simulator.recording, recordedOperations: recordedOperations)
    }

    /// Adds, at `time`, a restart of every server still crashed and a
    /// resume of every one still paused.
    static func healEveryServer(_ plan: inout FaultPlan, at time: SimulationInstant) {
        var down: Set<NodeID> = []
        var paused: Set<NodeID> = []
        for (_, fault) in plan.faults {
            switch fault {
            case .crash(let node): down.insert(node)
            case .restart(let node): down.remove(node)
            case .pause(let node): paused.insert(node)
            case .resume(let node): paused.remove(node)
            default: break
            }
        }
        for node in down.sorted() { plan.faults.append((time, .restart(node))) }
        for node in paused.sorted() { plan.faults.append((time, .resume(node))) }
    }

    static func allClientsIdle<Server>(_ simulator: borrowing Simulator<PaxosLabNode<Server>>, _ settings: PaxosLabSettings) -> Bool {
        settings.clients.allSatisfy { simulator.node($0)?.client?.isIdle ?? true }
    }

    static func hasLeader<Server>(_ simulator: borrowing Simulator<PaxosLabNode<Server>>, _ settings: PaxosLabSettings) -> Bool {
        settings.servers.contains { simulator.node($0)?.server?.leads == true && !simulator.isPaused($0) }
    }

    /// The clients' histories merged in time order, as checker events; at
    /// equal times invocations come first, so no real-time order is invented.
    static func collectHistory<Server>(_ simulator: borrowing Simulator<PaxosLabNode<Server>>, _ settings: PaxosLabSettings) -> [HistoryEvent] {
        var events: [(time: Int64, rank: Int, sequence: Int, event: HistoryEvent)] = []
        for clientID in settings.clients {
            guard let client = simulator.node(clientID)?.client else { continue }
            for event in client.history.events {
                let (function, key, value, expected) = describe(event.operation)
                let kind: HistoryEvent.Kind
                var recorded = value
                switch event.kind {
                case .invoke: kind = .invoke
                case .ok:
                    kind = .ok
                    if case .value(let read)? = event.result { recorded = read }
                case .fail: kind = .fail
                case .info: kind = .info
                }
                let historyEvent = HistoryEvent(
                    process: clientID, kind: kind, function: function, key: key, value: recorded, expected: expected,
                    time: event.time.nanoseconds)
                events.append((event.time.nanoseconds, kind == .invoke ? 0 : 1, events.count, historyEvent))
            }
        }
        events.sort { ($0.time, $0.rank, $0.sequence) < ($1.time, $1.rank, $1.sequence) }
        return events.map(\.event)
    }

    private static func describe(_ operation: PaxosLabKVCommand.Operation) -> (HistoryEvent.Function, String, String?, String?) {
        switch operation {
        case .get(let key): (.get, key, nil, nil)
        case .put(let key, let value): (.put, key, value, nil)
        case .delete(let key): (.delete, key, nil, nil)
        case .cas(let key, let expected, let value): (.cas, key, value, expected)
        }
    }
}
