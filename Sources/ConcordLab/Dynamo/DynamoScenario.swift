import ConcordChecker
import ConcordDynamo
import ConcordSimulation

/// The `dynamo` scenario: the leaderless store on 3 to 5 members (and
/// sometimes one that joins or leaves the ring mid-run), with clients
/// issuing sibling puts and deletes, counter increments and set updates at
/// consistency levels drawn from the seed, with or without session tokens,
/// under swarm faults (crashes that lose unsynced writes, pauses,
/// partitions, one-way blocks, loss, duplication, reordering, clock skew).
///
/// After the safety phase every member is restarted and reconnected; the
/// members must then converge within `convergenceBound`: every key held by
/// exactly its replicas with equal copies, no hint or pending write left.
/// Then no acknowledged write may be lost and no superseded value may come
/// back (``DynamoLabChecks/lostAndResurrected(_:key:final:)``), counters and
/// sets must hold what their acknowledged updates promise, and with session
/// tokens, every key's history must satisfy read-your-writes, monotonic
/// reads, monotonic writes and writes follow reads (ConcordChecker's
/// session checker).
public enum DynamoScenario {
    /// How long faults strike in `concord sim dynamo`.
    public static let safetyPhase = SimulationDuration.seconds(2)
    /// How long faults strike in the CI sweep's short runs.
    public static let shortSafetyPhase = SimulationDuration.milliseconds(600)
    /// After healing, the members must converge within this.
    public static let convergenceBound = SimulationDuration.seconds(20)
    /// How often convergence is checked after healing.
    static let convergenceCheckInterval = SimulationDuration.milliseconds(50)
    /// Crashes and pauses may take down every member at once: a leaderless
    /// store must stay safe then too.
    static let faultLimits = FaultLimits(allowsMajorityDown: true)

    /// The scenario, as registered in `Scenarios.all`.
    public static let scenario = Scenario(
        name: "dynamo",
        summary: "leaderless Dynamo-style store, 3-5 members, swarm faults and ring changes; convergence, no lost write, sessions (bugs: \(DynamoBug.allCases.map(\.rawValue).joined(separator: ", ")))",
        run: run)

    /// The `dynamo-hints` scenario: six members and N = 2, so most writes
    /// land on a member that is not a replica of their key; partitions cut
    /// replicas off, and such a member then keeps a sloppy write as a hint,
    /// its only copy, until it can hand it over.
    public static let hintsScenario = Scenario(
        name: "dynamo-hints",
        summary: "leaderless store where sloppy writes often live only in hints until handed over (bug: handoff-drops-hints)",
        run: { run($0, profile: .hints) })

    /// The `dynamo-tombstones` scenario: many keys, many deletions, so that
    /// tombstones age and are collected while members are down or cut off.
    public static let tombstonesScenario = Scenario(
        name: "dynamo-tombstones",
        summary: "leaderless store with many deletions: tombstones collected under faults, no deleted key comes back (bug: tombstone-collected-early)",
        run: { run($0, profile: .tombstones) })

    /// A sweep's emphasis.
    enum Profile: Sendable {
        /// Everything drawn from the seed.
        case swarm
        /// Six members, N = 2, partitions, sloppy writes: hints matter.
        case hints
        /// Many keys and deletions.
        case tombstones

        /// Partitions, one-way blocks and crashes for `hints`; every kind
        /// otherwise.
        var faultLimits: FaultLimits {
            switch self {
            case .swarm, .tombstones: DynamoScenario.faultLimits
            case .hints: FaultLimits(kinds: [.partition, .block, .crash], allowsMajorityDown: true)
            }
        }

        func adjust(_ settings: inout DynamoLabSettings) {
            switch self {
            case .swarm:
                break
            case .hints:
                settings.members = [1, 2, 3, 4, 5, 6]
                settings.joining = nil
                settings.leaving = nil
                settings.dynamo.replicationFactor = 2
                settings.consistencies = [
                    RequestConsistency(read: .one, write: .one, sloppy: true),
                    RequestConsistency(read: .quorum, write: .quorum, sloppy: true),
                ]
            case .tombstones:
                if settings.members.count < 4 { settings.members = [1, 2, 3, 4] }
                settings.joining = nil
                settings.leaving = nil
                settings.sessions = false
                settings.dynamo.tombstoneAgeTicksMin = 5
                settings.workload.registerKeys = (0..<16).map { "k\($0)" }
                settings.workload.deletes = true
                settings.workload.deletePercent = 50
                settings.workload.writePercent = 60
            }
        }
    }

    @Sendable static func run(_ options: ScenarioOptions) -> ScenarioResult {
        run(options, profile: .swarm)
    }

    static func run(_ options: ScenarioOptions, profile: Profile) -> ScenarioResult {
        let bug: DynamoBug?
        switch parseBug(options.bug) {
        case .success(let parsed): bug = parsed
        case .failure(let message): return ScenarioResult(passed: false, verdict: message.text, traceHash: 0)
        }
        let report = execute(
            seed: options.seed, bug: bug, recordsTrace: options.recordTimeline, faultLimits: profile.faultLimits,
            adjust: profile.adjust, recordsEvents: options.recordEvents)
        return report.result
    }

    static func execute(
        seed: UInt64, bug: DynamoBug?, recordsTrace: Bool, profile: Profile, safetyPhase: SimulationDuration = safetyPhase
    ) -> Report {
        execute(
            seed: seed, bug: bug, recordsTrace: recordsTrace, safetyPhase: safetyPhase, faultLimits: profile.faultLimits,
            adjust: profile.adjust)
    }

    struct BugError: Error { var text: String }

    static func parseBug(_ name: String?) -> Result<DynamoBug?, BugError> {
        guard let name else { return .success(nil) }
        guard let bug = DynamoBug(rawValue: name) else {
            return .failure(BugError(text: "unknown bug \(name); known: \(DynamoBug.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        return .success(bug)
    }

    /// What one run found.
    struct Report {
        var passed: Bool
        var verdict: String
        var timeline: [String]
        var traceHash: UInt64
        /// Time from healing to convergence, if reached.
        var convergedAfter: SimulationDuration?
        var operations: Int
        /// The simulator's recording, when the run was asked to keep one.
        var recording: SimulationRecording? = nil

        /// The report as a scenario's result.
        var result: ScenarioResult {
            ScenarioResult(passed: passed, verdict: verdict, timeline: timeline, traceHash: traceHash, recording: recording)
        }
    }

    static func execute(
        seed: UInt64, bug: DynamoBug?, recordsTrace: Bool, safetyPhase: SimulationDuration = safetyPhase,
        faultLimits: FaultLimits = faultLimits, adjust: (inout DynamoLabSettings) -> Void = { _ in },
        recordsEvents: Bool = false
    ) -> Report {
        let healedAt = SimulationInstant.zero + safetyPhase
        var settings = DynamoLabSettings.swarm(seed: seed, clientsStopAt: healedAt, bug: bug)
        adjust(&settings)
        let plan = FaultPlan.random(seed: seed, nodes: settings.servers, safetyPhase: safetyPhase, limits: faultLimits)
        var run = DynamoLabRun(seed: seed, settings: settings, recordsTrace: recordsTrace, recordsEvents: recordsEvents)
        plan.schedule(on: &run.simulator)
        run.run(until: healedAt)
        run.healEverything()
        let converged = converge(&run, from: healedAt)
        let records = run.records
        var failures: [String] = []
        if converged != nil {
            failures += outcomeProblems(run, records: records)
        } else {
            failures.append("not converged \(convergenceBound) after healing: " + run.divergence().prefix(3).joined(separator: "; "))
        }
        let ok = records.filter { $0.outcome == .ok }.count
        let statistics = run.statistics
        let shape = "\(settings.members.count) members N=\(settings.dynamo.replicationFactor)"
            + (settings.joining.map { ", n\($0) joins" } ?? "") + (settings.leaving.map { ", n\($0) leaves" } ?? "")
            + ", \(settings.consistencies.map(\.description).joined(separator: " | "))"
            + (settings.sessions ? ", sessions" : "") + ", \(records.count) ops (\(ok) ok), "
            + "\(statistics.hintsDelivered) hints delivered, \(statistics.readRepairs) read repairs, "
            + "\(statistics.antiEntropyRepairs) anti-entropy repairs, \(statistics.tombstonesCollected) tombstones collected; \(plan.summary)"
        let passed = failures.isEmpty
        let verdict = passed
            ? "converged \(converged!)s after healing; no acknowledged write lost; \(shape)"
            : "\(failures.prefix(4).joined(separator: "; ")); \(shape)"
        var timeline: [String] = []
        if recordsTrace {
            timeline.append("seed \(seed): \(plan.summary)")
            timeline += run.simulator.trace.filter(DynamoLabRun.isTimelineLine)
        }
        return Report(
            passed: passed, verdict: verdict, timeline: timeline, traceHash: run.simulator.traceHash,
            convergedAfter: converged, operations: records.count, recording: run.simulator.recording)
    }

    /// Runs until the members converge and the clients are idle; returns the
    /// time taken, or nil past the bound.
    static func converge(_ run: inout DynamoLabRun, from healedAt: SimulationInstant) -> SimulationDuration? {
        let deadline = healedAt + convergenceBound
        while run.simulator.now < deadline {
            if run.clientsIdle && run.divergence().isEmpty { return run.simulator.now - healedAt }
            run.run(until: run.simulator.now + convergenceCheckInterval)
        }
        return nil
    }

    /// The checks of the converged state against the clients' histories.
    static func outcomeProblems(_ run: DynamoLabRun, records: [DynamoLabRecord]) -> [String] {
        let workload = run.settings.workload
        var problems: [String] = []
        for key in workload.registerKeys {
            problems += DynamoLabChecks.lostAndResurrected(records, key: key, final: run.finalCopy(of: key))
        }
        for key in workload.counterKeys {
            problems += DynamoLabChecks.counter(records, key: key, final: run.finalCopy(of: key))
        }
        for key in workload.setKeys {
            problems += DynamoLabChecks.set(records, key: key, final: run.finalCopy(of: key))
        }
        if run.settings.sessions {
            // Session violations first: they name the guarantee broken.
            problems = DynamoLabChecks.sessions(records, keys: workload.registerKeys) + problems
        }
        return problems
    }
}
