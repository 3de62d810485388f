import ConcordChecker
import ConcordSimulation
import ConcordTransactions

/// The commit-protocol scenarios of `concord sim`.
enum CommitScenarios {
    /// Faults for two-phase commit: every kind, a majority may be down at
    /// once. Its safety does not depend on timing, so nothing is off limits.
    static let twoPhaseLimits = FaultLimits(kinds: .all, faultIntervalMin: .milliseconds(20),
                                            faultIntervalMax: .milliseconds(200), allowsMajorityDown: true)
    /// Faults for three-phase commit: crashes only, at most one server down
    /// at a time, on a reliable network with bounded latency: the synchronous
    /// system it was designed for.
    static let threePhaseCrashLimits = FaultLimits(kinds: [.crash], allowsMajorityDown: false)
    /// Faults that break three-phase commit: partitions (and crashes).
    static let threePhasePartitionLimits = FaultLimits(kinds: [.crash, .partition], allowsMajorityDown: false,
                                                        latencyMax: .milliseconds(5))

    static func bug(_ options: ScenarioOptions) -> Result<CommitBug?, ScenarioFailure> {
        guard let name = options.bug else { return .success(nil) }
        guard let bug = CommitBug(rawValue: name) else {
            let known = CommitBug.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(ScenarioFailure(verdict: "unknown bug '\(name)'; known: \(known)"))
        }
        return .success(bug)
    }

    static func twoPhase(_ options: ScenarioOptions) -> ScenarioResult {
        switch bug(options) {
        case .failure(let failure): return failure.result
        case .success(let bug):
            var configuration = CommitConfiguration()
            configuration.bug = bug
            return CommitRun<TwoPhaseCommit>(configuration: configuration, limits: twoPhaseLimits,
                                             crashStormMeanInterval: .milliseconds(150))
                .run(seed: options.seed, recordTimeline: options.recordTimeline, recordEvents: options.recordEvents)
        }
    }

    static func threePhase(_ options: ScenarioOptions) -> ScenarioResult {
        switch bug(options) {
        case .failure(let failure): return failure.result
        case .success(let bug):
            var configuration = CommitConfiguration()
            configuration.bug = bug
            return CommitRun<ThreePhaseCommit>(configuration: configuration, limits: threePhaseCrashLimits)
                .run(seed: options.seed, recordTimeline: options.recordTimeline, recordEvents: options.recordEvents)
        }
    }

    /// Three-phase commit under swarm partitions: expected to fail sometimes.
    static func threePhaseUnderPartitions(seed: UInt64) -> ScenarioResult {
        CommitRun<ThreePhaseCommit>(configuration: CommitConfiguration(), limits: threePhasePartitionLimits)
            .run(seed: seed, recordTimeline: false)
    }

    /// The blocking problem of two-phase commit, scripted: every participant
    /// votes yes, the coordinator logs commit and is cut off and crashes
    /// before anyone hears the decision. Participants stay uncertain, holding
    /// their locks, for as long as it is down; once it returns, all commit.
    static func twoPhaseBlocking(_ options: ScenarioOptions) -> ScenarioResult {
        var configuration = CommitConfiguration()
        configuration.transactions = 1
        configuration.noVotePerMillion = 0
        var script = Script<TwoPhaseCommit>(seed: options.seed, configuration: configuration, record: options.recordTimeline,
            recordEvents: options.recordEvents)
        let coordinator = CommitConfiguration.coordinator
        let transaction = Transactions.TransactionID(1)
        guard script.run(for: .seconds(1), until: { $0.node(coordinator)?.loggedDecisions.isEmpty == false }) else {
            return script.result(passed: false, verdict: "the coordinator never decided")
        }
        script.note("every participant voted yes; the coordinator decided commit: cut it off before the decision leaves")
        script.apply(.partition([[coordinator], configuration.participants]))
        guard script.run(for: .seconds(1), until: { !($0.durableState(of: coordinator).map(TwoPhaseCommit.loggedDecisions) ?? []).isEmpty }) else {
            return script.result(passed: false, verdict: "the commit record never became durable")
        }
        script.apply(.crash(coordinator))
        script.note("the coordinator crashed with its commit record durable; nobody heard the decision")
        let outage = SimulationDuration.seconds(2)
        var blockedChecks = 0
        for _ in 0..<10 {
            script.run(for: .milliseconds(200))
            let uncertain = configuration.participants.filter { script.simulator.node($0)?.undecided == [transaction] }
            guard uncertain == configuration.participants else {
                return script.result(passed: false, verdict: "a participant decided without the coordinator: \(uncertain)")
            }
            blockedChecks += 1
        }
        script.note("after \(outage)s every participant is still uncertain and holds its locks (checked \(blockedChecks) times)")
        script.apply(.heal)
        script.apply(.restart(coordinator))
        script.note("the coordinator is back: it resends its logged decision")
        guard script.run(for: .seconds(2), until: { simulator in
            configuration.participants.allSatisfy { simulator.node($0)?.undecided.isEmpty ?? false }
        }) else {
            return script.result(passed: false, verdict: "participants did not decide after the coordinator returned")
        }
        // Let the decision records reach the disks.
        script.run(for: .milliseconds(100))
        let checker = CommitRun<TwoPhaseCommit>.check(script.simulator, configuration)
        let everyoneCommitted = configuration.participants.allSatisfy { checker.decided[transaction.rawValue]?[$0] == .commit }
        guard checker.violations.isEmpty, everyoneCommitted else {
            return script.result(passed: false, verdict: "participants did not all commit: \(checker.violations)")
        }
        return script.result(passed: true, verdict: "blocked \(outage)s while the coordinator was down, then every participant committed \(transaction)")
    }

    /// Three-phase commit's known flaw, scripted: the network splits
    /// {coordinator, n1} from {n2, n3} just as the pre-commits leave. The
    /// coordinator's side commits on timeout; the other side, all uncertain,
    /// terminates and aborts. The scenario passes when the split is shown.
    static func threePhasePartition(_ options: ScenarioOptions) -> ScenarioResult {
        var configuration = CommitConfiguration()
        configuration.transactions = 1
        configuration.noVotePerMillion = 0
        var script = Script<ThreePhaseCommit>(seed: options.seed, configuration: configuration, record: options.recordTimeline,
            recordEvents: options.recordEvents)
        let coordinator = CommitConfiguration.coordinator
        guard script.run(for: .seconds(1), until: { ($0.node(coordinator)?.loggedRecordCount ?? 0) > 0 }) else {
            return script.result(passed: false, verdict: "the coordinator never pre-committed")
        }
        script.note("every participant voted yes; the coordinator is pre-committing: split the network")
        let (first, rest) = (configuration.participants[0], Array(configuration.participants.dropFirst()))
        script.apply(.partition([[coordinator, first], rest]))
        script.run(for: .seconds(2))
        script.note("each side terminated on its own; healing the network")
        script.apply(.heal)
        script.run(for: .seconds(1))
        let checker = CommitRun<ThreePhaseCommit>.check(script.simulator, configuration)
        guard let split = checker.violations.first else {
            return script.result(passed: false, verdict: "no split: \(checker.decided)")
        }
        return script.result(passed: true, verdict: "3PC decided both ways under the partition, as expected: \(split)")
    }
}

extension TwoPhaseCommit {
    static func loggedDecisions(_ log: CommitNodeLog<CoordinatorRecord, ParticipantRecord>) -> [Transactions.DecisionReport] {
        switch log {
        case .coordinator(let records, _): decisions(in: records.records)
        case .participant(let records): decisions(in: records.records)
        }
    }
}

/// A scenario that cannot run, with the reason.
struct ScenarioFailure: Error {
    var verdict: String
    var result: ScenarioResult { ScenarioResult(passed: false, verdict: verdict, traceHash: 0) }
}

/// Drives a commit simulation step by step for a scripted scenario, keeping
/// a timeline of the simulator's trace with the script's notes in between.
struct Script<P: AtomicCommitProtocol> {
    var simulator: Simulator<CommitNode<P>>
    private var timeline: [String] = []
    private var traceShown = 0
    private let record: Bool

    init(seed: UInt64, configuration: CommitConfiguration, record: Bool, recordEvents: Bool = false) {
        self.record = record
        simulator = Simulator<CommitNode<P>>(
            seed: seed, nodeIDs: configuration.servers + [CommitConfiguration.client],
            recordsTrace: record, recordsEvents: recordEvents,
            makeNode: { id, durable, context in
                CommitNode<P>(id: id, durable: durable, configuration: configuration, context: &context)
            })
    }

    /// Runs for `duration`, or until `condition` holds; returns whether it held.
    @discardableResult
    mutating func run(for duration: SimulationDuration,
                      until condition: ((borrowing Simulator<CommitNode<P>>) -> Bool)? = nil) -> Bool {
        let deadline = simulator.now + duration
        guard let condition else {
            simulator.run(until: deadline)
            return true
        }
        simulator.run(until: deadline, while: { !condition($0) })
        return condition(simulator)
    }

    mutating func apply(_ fault: Fault) {
        simulator.apply(fault)
    }

    mutating func note(_ line: String) {
        guard record else { return }
        timeline += TimelineFilter.readable(simulator.trace[traceShown...])
        traceShown = simulator.trace.count
        timeline.append("\(simulator.now) ## \(line)")
    }

    mutating func result(passed: Bool, verdict: String) -> ScenarioResult {
        if record {
            timeline += TimelineFilter.readable(simulator.trace[traceShown...])
            traceShown = simulator.trace.count
        }
        return ScenarioResult(
            passed: passed, verdict: verdict, timeline: timeline, traceHash: simulator.traceHash, recording: simulator.recording)
    }
}
