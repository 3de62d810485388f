import ConcordCRDT
import ConcordClocks
import ConcordSimulation

/// The `crdt-gossip` scenario: replicas of a G-Counter, a PN-Counter and an
/// OR-Set (``GossipState``) gossip deltas, with full-state anti-entropy as
/// the fallback, while a client updates random replicas.
///
/// Faults, chosen from the seed by a swarm ``FaultPlan`` during a 3 s safety
/// phase: message loss, duplication and reordering, symmetric partitions,
/// one-way link blocks, paused nodes, and skewed, drifting and jumping
/// clocks (which only move gossip timers). Nodes are not crashed: replicas
/// keep their state in memory, so an update is acknowledged as soon as one
/// replica applied it.
///
/// Then every fault is healed (including paused minorities) and the run
/// continues until every replica holds an equal state, for at most
/// ``convergenceDeadline``. The checks:
/// - all replicas hold equal states within the deadline;
/// - the G-Counter equals the sum of acknowledged increments and the
///   PN-Counter their signed sum;
/// - the OR-Set contains every tag whose last operation anywhere was an add
///   that no remove observed, and no tag that was never added.
public enum CRDTGossip {
    /// How long faults strike.
    public static let safetyPhase = SimulationDuration.seconds(3)
    /// How long after healing the replicas have to converge.
    public static let convergenceDeadline = SimulationDuration.seconds(3)
    /// How often the client updates a replica, on average.
    public static let updateIntervalMean = SimulationDuration.milliseconds(15)
    /// How often convergence is checked after healing.
    static let convergenceCheckInterval = SimulationDuration.milliseconds(50)
    /// The number of distinct tags the client adds and removes.
    static let tagCount: UInt64 = 16

    /// The bug names the scenario understands (test-only switches).
    public static let knownBugs = ["counter-merge-sum"]

    /// The registry entry.
    public static let scenario = Scenario(
        name: "crdt-gossip",
        summary: "delta-gossip of counters and an OR-Set under loss, duplication, reordering and partitions; converge after healing"
    ) { options in
        let run = run(seed: options.seed, bug: options.bug, mode: .deltas, recordTimeline: options.recordTimeline)
        return ScenarioResult(
            passed: run.failures.isEmpty,
            verdict: run.verdict,
            timeline: run.timeline,
            traceHash: run.traceHash)
    }

    /// What one run found.
    public struct Run: Sendable {
        /// Empty when every check passed.
        public var failures: [String]
        /// A one-line summary.
        public var verdict: String
        /// The trace, when asked for.
        public var timeline: [String]
        /// The simulator's trace hash.
        public var traceHash: UInt64
        /// Bytes of delta payloads sent by all replicas.
        public var deltaBytes: Int
        /// Bytes of full-state payloads sent by all replicas.
        public var fullStateBytes: Int
        /// Updates the client made.
        public var updates: Int
        /// Virtual time from healing to convergence, if reached.
        public var convergence: SimulationDuration?
    }

    /// Runs the scenario once.
    ///
    /// - Parameters:
    ///   - seed: every choice of the run derives from it.
    ///   - bug: "counter-merge-sum" makes replicas join G-Counters by adding
    ///     entries instead of taking their maximum; nil for the correct join.
    ///   - mode: ship deltas (with the full-state fallback) or full states only.
    public static func run(
        seed: UInt64, bug: String? = nil, mode: DeltaGossipReplica<GossipState>.Mode = .deltas,
        recordTimeline: Bool = false
    ) -> Run {
        if let bug, !knownBugs.contains(bug) {
            return Run(
                failures: ["unknown bug \(bug)"], verdict: "unknown bug '\(bug)'; known: \(knownBugs.joined(separator: ", "))",
                timeline: [], traceHash: 0, deltaBytes: 0, fullStateBytes: 0, updates: 0, convergence: nil)
        }
        let join = joinFunction(bug: bug)
        let replicaCount = FaultLimits.clusterSize(seed: seed, in: 3...5)
        let nodes = Array(0..<replicaCount)
        var simulator = Simulator<CRDTGossipNode>(
            seed: seed, nodeIDs: nodes, recordsTrace: recordTimeline, describeMessage: CRDTGossipNode.describe
        ) { id, _, context in
            CRDTGossipNode(
                replica: DeltaGossipReplica(id: id, peers: nodes.filter { $0 != id }, mode: mode, join: join),
                context: &context)
        }
        let limits = FaultLimits(
            kinds: [.pause, .partition, .block, .network, .clock], faultIntervalMin: .milliseconds(50),
            faultIntervalMax: .milliseconds(400), lossPerMillionMax: 400_000, duplicationPerMillionMax: 200_000,
            reorderPerMillionMax: 300_000)
        let plan = FaultPlan.random(seed: seed, nodes: nodes, safetyPhase: safetyPhase, limits: limits)
        plan.schedule(on: &simulator)

        // The client: its own stream, derived from the seed.
        var random = SimulationRandom(seed: seed ^ 0xC2D7_6055_1B0C_0DE5)
        var expected = Expectation()
        var time = SimulationInstant.zero
        while true {
            time += .nanoseconds(1 + random.next(in: 0...(2 * updateIntervalMean.nanoseconds)))
            guard time < plan.healedAt else { break }
            simulator.run(until: time)
            let node = nodes[random.index(below: nodes.count)]
            guard simulator.isRunning(node), !simulator.isPaused(node) else { continue }
            let update = Update.random(using: &random)
            simulator.withNode(node) { gossipNode, _ in
                gossipNode.replica.update { state in update.apply(to: &state, at: ReplicaID(UInt64(node))) }
            }
            expected.record(update)
        }

        // Heal everything, minorities included, and wait for convergence.
        simulator.run(until: plan.healedAt)
        simulator.heal()
        for node in nodes where simulator.isPaused(node) {
            simulator.resume(node)
        }
        let deadline = plan.healedAt + convergenceDeadline
        var convergence: SimulationDuration?
        var checkTime = plan.healedAt
        while checkTime <= deadline {
            simulator.run(until: checkTime)
            if converged(simulator, nodes) {
                convergence = checkTime - plan.healedAt
                break
            }
            checkTime += convergenceCheckInterval
        }

        var failures: [String] = []
        let states = nodes.compactMap { simulator.node($0)?.replica.state }
        if convergence == nil {
            failures.append("replicas did not converge within \(convergenceDeadline)s of healing")
        }
        for (node, state) in zip(nodes, states) {
            failures.append(contentsOf: expected.check(state).map { "n\(node): \($0)" })
        }
        let deltaBytes = nodes.reduce(0) { $0 + (simulator.node($1)?.replica.deltaBytesSent ?? 0) }
        let fullStateBytes = nodes.reduce(0) { $0 + (simulator.node($1)?.replica.fullStateBytesSent ?? 0) }
        let verdict: String
        if failures.isEmpty {
            verdict = "ok: \(replicaCount) replicas converged \(convergence!)s after healing; \(expected.updates) updates, counter \(expected.counter), balance \(expected.balance); \(plan.summary)"
        } else {
            verdict = "FAILED: " + failures.prefix(3).joined(separator: "; ") + "; \(plan.summary)"
        }
        return Run(
            failures: failures, verdict: verdict, timeline: recordTimeline ? simulator.trace : [],
            traceHash: simulator.traceHash, deltaBytes: deltaBytes, fullStateBytes: fullStateBytes,
            updates: expected.updates, convergence: convergence)
    }

    /// The join the replicas use: the CRDT's own, or a deliberately broken one.
    static func joinFunction(bug: String?) -> @Sendable (inout GossipState, GossipState) -> Void {
        guard bug == "counter-merge-sum" else { return { $0.merge($1) } }
        return { state, other in
            // Bug: add G-Counter entries instead of taking their maximum.
            var summed = state.counter.entries
            for (replica, amount) in other.counter.entries {
                summed[replica, default: 0] &+= amount
            }
            state.merge(other)
            state = GossipState(counter: GCounter(entries: summed), balance: state.balance, tags: state.tags)
        }
    }

    static func converged(_ simulator: Simulator<CRDTGossipNode>, _ nodes: [NodeID]) -> Bool {
        guard let first = simulator.node(nodes[0])?.replica.state else { return false }
        return nodes.dropFirst().allSatisfy { simulator.node($0)?.replica.state == first }
    }

    /// One client update.
    enum Update {
        case increment(UInt64)
        case adjust(Int64)
        case add(UInt64)
        case remove(UInt64)

        static func random(using random: inout SimulationRandom) -> Update {
            switch random.next(below: 4) {
            case 0: .increment(1 + random.next(below: 10))
            case 1: .adjust(random.next(in: -10...10))
            case 2: .add(random.next(below: tagCount))
            default: .remove(random.next(below: tagCount))
            }
        }

        /// Applies the update's delta mutator and returns the delta.
        func apply(to state: inout GossipState, at replica: ReplicaID) -> GossipState {
            var delta = GossipState()
            switch self {
            case .increment(let amount):
                delta.counter = state.counter.increment(by: amount, at: replica)
            case .adjust(let amount):
                delta.balance =
                    amount >= 0
                    ? state.balance.increment(by: UInt64(amount), at: replica)
                    : state.balance.decrement(by: UInt64(-amount), at: replica)
            case .add(let tag):
                delta.tags = state.tags.insert(tag, at: replica)
            case .remove(let tag):
                delta.tags = state.tags.remove(tag)
            }
            return delta
        }
    }

    /// What the acknowledged updates imply about the converged state.
    struct Expectation {
        var updates = 0
        var counter: UInt64 = 0
        var balance: Int64 = 0
        /// Tags ever added.
        var added: Set<UInt64> = []
        /// Tags added and never removed afterwards by anyone: an add-wins
        /// set must contain them whatever the interleaving.
        var mustContain: Set<UInt64> = []

        mutating func record(_ update: Update) {
            updates += 1
            switch update {
            case .increment(let amount): counter += amount
            case .adjust(let amount): balance += amount
            case .add(let tag):
                added.insert(tag)
                mustContain.insert(tag)
            case .remove(let tag): mustContain.remove(tag)
            }
        }

        func check(_ state: GossipState) -> [String] {
            var problems: [String] = []
            if state.counter.value != counter {
                problems.append("G-Counter \(state.counter.value) ≠ acknowledged \(counter)")
            }
            if state.balance.value != balance {
                problems.append("PN-Counter \(state.balance.value) ≠ acknowledged \(balance)")
            }
            let tags = state.tags.elements
            if !mustContain.isSubset(of: tags) {
                problems.append("OR-Set lost tags \(mustContain.subtracting(tags).sorted())")
            }
            if !tags.isSubset(of: added) {
                problems.append("OR-Set has tags never added \(tags.subtracting(added).sorted())")
            }
            return problems
        }
    }
}
