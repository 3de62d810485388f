import ConcordFoundation
import ConcordSimulation

/// The `causality` scenario: 3 to 6 processes do local events and send one
/// another messages at random, under message loss, duplication, reordering,
/// partitions, one-way blocks, pauses and clock faults drawn from the seed.
/// Every event is stamped by a `LamportClock` and a `VectorClock`, and
/// ``CausalityCheck`` compares the stamps with the true causal order: every
/// causal pair must have increasing Lamport stamps, and vector clocks must
/// classify every pair exactly. The verdict also counts the concurrent pairs
/// Lamport stamps order anyway.
///
/// Bug switches (``CausalityBug``): `lamport-no-max`, `vector-no-merge`,
/// `vector-receive-no-tick`.
enum CausalityScenario {
    /// How long processes start events.
    static let activePhase = SimulationDuration.milliseconds(600)
    /// Time for the last messages to arrive (the longest delay a fault plan
    /// can give is twice its 20 ms latency bound plus the reordering delay).
    static let drainTime = SimulationDuration.milliseconds(200)
    /// Faults that leave processes' memory intact (a crash would lose the
    /// clocks, which live in memory here).
    static let limits = FaultLimits(
        kinds: [.pause, .partition, .block, .network, .clock], faultIntervalMin: .milliseconds(20),
        faultIntervalMax: .milliseconds(200))

    static let scenario = Scenario(
        name: "causality",
        summary: "Lamport and vector clocks on random message passing under faults, checked against the true causal order "
            + "(bugs: \(CausalityBug.allCases.map(\.rawValue).joined(separator: ", ")))"
    ) { options in
        run(options)
    }

    static func settings(seed: UInt64, bug: CausalityBug?) -> CausalitySettings {
        var random = SeededRandom(seed: seed ^ 0xCA05_A11D_0000_0001)
        let count = FaultLimits.clusterSize(seed: seed, in: 3...6)
        return CausalitySettings(
            nodes: Array(1...count),
            ownEventsMax: Int(random.next(in: 8...24)),
            eventIntervalMax: .milliseconds(random.next(in: 5...40)),
            sendPerMillion: UInt32(random.next(in: 400_000...900_000)),
            bug: bug)
    }

    static func run(_ options: ScenarioOptions) -> ScenarioResult {
        var bug: CausalityBug?
        if let name = options.bug {
            guard let known = CausalityBug(rawValue: name) else {
                return ScenarioResult(
                    passed: false,
                    verdict: "unknown bug '\(name)'; known: \(CausalityBug.allCases.map(\.rawValue).joined(separator: ", "))",
                    traceHash: 0)
            }
            bug = known
        }
        let settings = settings(seed: options.seed, bug: bug)
        var simulator = Simulator<CausalityNode>(
            seed: options.seed, nodeIDs: settings.nodes, recordsTrace: options.recordTimeline,
            recordsEvents: options.recordEvents, describeMessage: { $0.description },
            makeNode: { id, _, context in CausalityNode(id: id, settings: settings, context: &context) })
        let plan = FaultPlan.random(seed: options.seed, nodes: settings.nodes, safetyPhase: activePhase, limits: limits)
        plan.schedule(on: &simulator)
        simulator.run(until: plan.healedAt + drainTime)

        let processes = settings.nodes.map { simulator.node($0)?.events ?? [] }
        let check = CausalityCheck(processes)
        let counts = "\(settings.nodes.count) processes, \(check.events) events, \(check.orderedPairs) causal and "
            + "\(check.concurrentPairs) concurrent pairs"
        let lamportShown = "Lamport stamps order \(check.lamportOrderedConcurrentPairs) of the \(check.concurrentPairs) "
            + "concurrent pairs as if one came first"
        var problems: [String] = []
        if check.lamportViolations > 0 {
            problems.append("\(check.lamportViolations) causal pairs without increasing Lamport stamps, e.g. "
                + check.lamportViolationExamples[0])
        }
        if check.vectorMismatches > 0 {
            problems.append("\(check.vectorMismatches) pairs misclassified by vector clocks, e.g. " + check.vectorMismatchExamples[0])
        }
        let verdict = problems.isEmpty
            ? "happened-before implied a smaller Lamport stamp on every causal pair and vector clocks classified every "
                + "pair exactly (\(counts)); \(lamportShown); \(plan.summary)"
            : problems.joined(separator: "; ") + " (\(counts)); \(plan.summary)"
        var timeline: [String] = []
        if options.recordTimeline {
            timeline.append("seed \(options.seed): \(plan.summary)")
            timeline += simulator.trace.filter(RegisterScenario.isTimelineLine)
            timeline += check.lamportOrderedConcurrentExamples.map { "Lamport orders, but concurrent: \($0)" }
            timeline += check.lamportViolationExamples.map { "VIOLATION: \($0)" }
            timeline += check.vectorMismatchExamples.map { "VIOLATION: \($0)" }
        }
        // Each event as an instant on its process's line, with its stamps;
        // the events of pairs the clocks got wrong are the blamed ones.
        var operations: [RecordedOperation] = []
        if options.recordEvents {
            for event in processes.flatMap({ $0 }) {
                operations.append(RecordedOperation(
                    id: operations.count, process: event.node, node: event.node,
                    label: "\(event.name) L\(event.lamport) \(event.vector)", invokedAt: event.trueTime,
                    completedAt: event.trueTime, outcome: .ok, isOffending: check.offendingEvents.contains(event.name)))
            }
        }
        return ScenarioResult(
            passed: problems.isEmpty, verdict: verdict, timeline: timeline, traceHash: simulator.traceHash,
            recording: simulator.recording, operations: operations)
    }
}
