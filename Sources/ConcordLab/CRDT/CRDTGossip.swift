import ConcordFoundation
import ConcordCRDT
import ConcordClocks
import ConcordSimulation

/// The `crdt-gossip` scenario: replicas of a G-Counter, a PN-Counter and an
/// OR-Set (``GossipState``) gossip deltas, with full-state anti-entropy as
/// the fallback, while a client updates random replicas.
///
/// Faults, chosen from the seed by a swarm ``FaultPlan`` during a 3 s safety
/// phase: message loss, duplication and reordering, symmetric partitions,
/// one-way link blocks, paused nodes, crashes and restarts (a minority at a
/// time; a replica recovers the state it last synced), and skewed, drifting
/// and jumping clocks (which only move gossip timers). A client update is
/// acknowledged once the replica that applied it has made it durable; if
/// that replica crashes first, its outcome is unknown.
///
/// Then every fault is healed (crashed and paused minorities included) and
/// the run continues until every replica holds an equal state, for at most
/// ``convergenceDeadline``. The checks:
/// - all replicas hold equal states within the deadline;
/// - the G-Counter and the PN-Counter lie between the sums of acknowledged
///   updates with and without the updates of unknown outcome (with no
///   crash, both bounds are the acknowledged sum: the counter equals it);
/// - the OR-Set contains every tag whose last update was an acknowledged
///   add, and no tag that was never added.
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
    public static let knownBugs = ["counter-merge-sum", "gossip-before-durable"]
    /// A slow disk, so that crashes often catch changes not yet synced.
    static let disk = DiskConditions(syncLatencyMin: .milliseconds(1), syncLatencyMax: .milliseconds(30))

    /// The registry entry.
    public static let scenario = Scenario(
        name: "crdt-gossip",
        summary: "delta-gossip of counters and an OR-Set under loss, duplication, reordering and partitions; converge after healing"
    ) { options in
        let run = run(
            seed: options.seed, bug: options.bug, mode: .deltas, recordTimeline: options.recordTimeline,
            recordEvents: options.recordEvents)
        return ScenarioResult(
            passed: run.failures.isEmpty,
            verdict: run.verdict,
            timeline: run.timeline,
            traceHash: run.traceHash,
            recording: run.recording)
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
        /// The simulator's recording, when asked for.
        public var recording: SimulationRecording? = nil
    }

    /// Runs the scenario once.
    ///
    /// - Parameters:
    ///   - seed: every choice of the run derives from it.
    ///   - bug: "counter-merge-sum" makes replicas join G-Counters by adding
    ///     entries instead of taking their maximum; "gossip-before-durable"
    ///     makes them gossip changes not yet on disk (a crash then lets a
    ///     restarted replica reuse dots its peers have seen); nil for the
    ///     correct protocol.
    ///   - mode: ship deltas (with the full-state fallback) or full states only.
    public static func run(
        seed: UInt64, bug: String? = nil, mode: DeltaGossipReplica<GossipState>.Mode = .deltas,
        recordTimeline: Bool = false, recordEvents: Bool = false
    ) -> Run {
        if let bug, !knownBugs.contains(bug) {
            return Run(
                failures: ["unknown bug \(bug)"], verdict: "unknown bug '\(bug)'; known: \(knownBugs.joined(separator: ", "))",
                timeline: [], traceHash: 0, deltaBytes: 0, fullStateBytes: 0, updates: 0, convergence: nil)
        }
        let join = joinFunction(bug: bug)
        let replicaCount = FaultLimits.clusterSize(seed: seed, in: 3...5)
        let nodes = Array(0..<replicaCount)
        let gossipsBeforeDurable = bug == "gossip-before-durable"
        var simulator = Simulator<CRDTGossipNode>(
            seed: seed, nodeIDs: nodes, disk: disk, recordsTrace: recordTimeline, recordsEvents: recordEvents,
            describeMessage: CRDTGossipNode.describe
        ) { id, durable, context in
            CRDTGossipNode(
                replica: DeltaGossipReplica(
                    id: id, peers: nodes.filter { $0 != id }, mode: mode, state: durable ?? GossipState(), join: join),
                gossipsBeforeDurable: gossipsBeforeDurable, context: &context)
        }
        let limits = FaultLimits(
            kinds: [.crash, .pause, .partition, .block, .network, .clock], faultIntervalMin: .milliseconds(50),
            faultIntervalMax: .milliseconds(400), lossPerMillionMax: 400_000, duplicationPerMillionMax: 200_000,
            reorderPerMillionMax: 300_000)
        let plan = FaultPlan.random(seed: seed, nodes: nodes, safetyPhase: safetyPhase, limits: limits)
        plan.schedule(on: &simulator)

        // The client: its own stream, derived from the seed. An update is
        // acknowledged once the replica that applied it has made it durable;
        // if that replica crashes first, the outcome is unknown.
        var random = SeededRandom(seed: seed ^ 0xC2D7_6055_1B0C_0DE5)
        var expected = Expectation()
        var pending: [PendingUpdate] = []
        var ownHistoryViolation: String?
        var time = SimulationInstant.zero
        while true {
            time += .nanoseconds(1 + random.next(in: 0...(2 * updateIntervalMean.nanoseconds)))
            guard time < plan.healedAt else { break }
            simulator.run(until: time)
            settle(&pending, &expected, simulator)
            if ownHistoryViolation == nil {
                ownHistoryViolation = checkOwnHistory(simulator, nodes)
            }
            let node = nodes[random.index(below: nodes.count)]
            guard simulator.isRunning(node), !simulator.isPaused(node) else { continue }
            let update = Update.random(using: &random)
            let index = expected.invoke(update)
            simulator.withNode(node) { gossipNode, context in
                context.log("client \(update)")
                let token = gossipNode.update(
                    { state in update.apply(to: &state, at: ReplicaID(UInt64(node))) }, context: &context)
                pending.append(PendingUpdate(index: index, node: node, incarnation: gossipNode.incarnation, token: token))
            }
        }

        // Heal everything, minorities included, and wait for convergence.
        simulator.run(until: plan.healedAt)
        simulator.heal()
        for node in nodes {
            if !simulator.isRunning(node) { simulator.restart(node) }
            if simulator.isPaused(node) { simulator.resume(node) }
        }
        let deadline = plan.healedAt + convergenceDeadline
        var convergence: SimulationDuration?
        var checkTime = plan.healedAt
        while checkTime <= deadline {
            simulator.run(until: checkTime)
            settle(&pending, &expected, simulator)
            if ownHistoryViolation == nil {
                ownHistoryViolation = checkOwnHistory(simulator, nodes)
            }
            if pending.isEmpty && converged(simulator, nodes) {
                convergence = checkTime - plan.healedAt
                break
            }
            checkTime += convergenceCheckInterval
        }
        for update in pending {
            expected.complete(update.index, acknowledged: false)
        }

        var failures: [String] = []
        let states = nodes.compactMap { simulator.node($0)?.replica.state }
        if let ownHistoryViolation {
            failures.append(ownHistoryViolation)
        }
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
            verdict = "ok: \(replicaCount) replicas converged \(convergence!)s after healing; \(expected.summary); \(plan.summary)"
        } else {
            verdict = "FAILED: " + failures.prefix(3).joined(separator: "; ") + "; \(plan.summary)"
        }
        return Run(
            failures: failures, verdict: verdict, timeline: recordTimeline ? simulator.trace : [],
            traceHash: simulator.traceHash, deltaBytes: deltaBytes, fullStateBytes: fullStateBytes,
            updates: expected.operations.count, convergence: convergence, recording: simulator.recording)
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

    /// An update applied by a replica and not yet known durable.
    struct PendingUpdate {
        var index: Int
        var node: NodeID
        var incarnation: UInt64
        var token: PersistToken
    }

    /// Resolves pending updates: acknowledged once the replica's persist is
    /// durable, unknown if the replica crashed (its incarnation changed) first.
    static func settle(_ pending: inout [PendingUpdate], _ expected: inout Expectation, _ simulator: Simulator<CRDTGossipNode>) {
        pending.removeAll { update in
            guard let node = simulator.node(update.node), node.incarnation == update.incarnation else {
                expected.complete(update.index, acknowledged: false)
                return true
            }
            guard let durable = node.durableToken, durable >= update.token else { return false }
            expected.complete(update.index, acknowledged: true)
            return true
        }
    }

    /// Checks the invariant that keeps dots and counter entries unique: no
    /// replica knows more of replica X's own updates than X itself (X's
    /// G-Counter and PN-Counter entries, X's dots in the OR-Set context).
    /// A restarted replica that knew less would mint a dot, or count an
    /// increment, that its peers already hold for another update.
    static func checkOwnHistory(_ simulator: Simulator<CRDTGossipNode>, _ nodes: [NodeID]) -> String? {
        let states = nodes.map { simulator.node($0)?.replica.state }
        for (owner, ownState) in zip(nodes, states) {
            guard let ownState else { continue }
            let id = ReplicaID(UInt64(owner))
            for (other, otherState) in zip(nodes, states) where other != owner {
                guard let otherState else { continue }
                let ownDots = ownState.tags.context.nextDot(for: id).counter
                let otherDots = otherState.tags.context.nextDot(for: id).counter
                if otherState.counter.entries[id, default: 0] > ownState.counter.entries[id, default: 0]
                    || otherState.balance.increments.entries[id, default: 0] > ownState.balance.increments.entries[id, default: 0]
                    || otherState.balance.decrements.entries[id, default: 0] > ownState.balance.decrements.entries[id, default: 0]
                    || otherDots > ownDots
                {
                    return "at \(simulator.now)s n\(other) knows more of n\(owner)'s own updates than n\(owner) does"
                }
            }
        }
        return nil
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

        static func random(using random: inout SeededRandom) -> Update {
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

    /// What the client's updates, acknowledged or of unknown outcome, imply
    /// about the converged state.
    struct Expectation {
        /// Every update in invocation order, with its outcome once known
        /// (true: acknowledged; false: unknown, it may or may not have survived).
        var operations: [(update: Update, acknowledged: Bool?)] = []

        mutating func invoke(_ update: Update) -> Int {
            operations.append((update, nil))
            return operations.count - 1
        }

        mutating func complete(_ index: Int, acknowledged: Bool) {
            operations[index].acknowledged = acknowledged
        }

        var summary: String {
            let acknowledged = operations.filter { $0.acknowledged == true }.count
            return "\(operations.count) updates, \(acknowledged) acknowledged"
        }

        func check(_ state: GossipState) -> [String] {
            var problems: [String] = []
            // Counters: every acknowledged update is in; an unknown one may be.
            var counterLow: UInt64 = 0
            var counterHigh: UInt64 = 0
            var balanceLow: Int64 = 0
            var balanceHigh: Int64 = 0
            var added: Set<UInt64> = []
            var last: [UInt64: (add: Bool, acknowledged: Bool)] = [:]
            for (update, acknowledged) in operations {
                let certain = acknowledged == true
                switch update {
                case .increment(let amount):
                    counterHigh += amount
                    if certain { counterLow += amount }
                case .adjust(let amount):
                    if certain {
                        balanceLow += amount
                        balanceHigh += amount
                    } else if amount < 0 {
                        balanceLow += amount
                    } else {
                        balanceHigh += amount
                    }
                case .add(let tag):
                    added.insert(tag)
                    last[tag] = (true, certain)
                case .remove(let tag):
                    last[tag] = (false, certain)
                }
            }
            let counter = state.counter.value
            if counter < counterLow || counter > counterHigh {
                problems.append("G-Counter \(counter) outside acknowledged \(counterLow)...\(counterHigh) with unknown outcomes")
            }
            let balance = state.balance.value
            if balance < balanceLow || balance > balanceHigh {
                problems.append("PN-Counter \(balance) outside acknowledged \(balanceLow)...\(balanceHigh) with unknown outcomes")
            }
            // A tag whose last update (in invocation order) is an
            // acknowledged add must be there: no remove can have observed
            // that add's dot. No tag may appear that was never added.
            let tags = state.tags.elements
            let mustContain = Set(last.filter { $0.value.add && $0.value.acknowledged }.keys)
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
