import ConcordClocks
import ConcordFoundation
import ConcordSimulation

/// The `hlc` scenario: 3 to 5 nodes with skewed, drifting clocks that step
/// back and forth (always within the skew bound ε of true time), and in
/// half the seeds one more node whose clock jumps seconds ahead, write to a
/// replicated last-writer-wins register and send each write to every other
/// node. Each write carries two stamps, the writer's physical clock and its
/// `HybridLogicalClock` (maximum offset 2ε), and each replica keeps one
/// register ordered by each.
///
/// Checks, on every node whose clock stays within the bound:
/// - within the bound: every hybrid timestamp's wall time is within ε of
///   true time;
/// - never backwards: each node's timestamps strictly increase, across
///   every clock jump;
/// - causal: a receipt's timestamp exceeds the send's, and a write that
///   causally follows another has the larger timestamp;
/// - the register ordered by hybrid timestamps never lets a write beat a
///   causally later one at any replica.
/// The register ordered by physical time is not held to that: the verdict
/// counts the causally later writes it lost.
///
/// Bug switches (``HybridClockBug``): `no-receive-merge`, `no-offset-bound`,
/// `physical-after-jump`.
enum HybridClockScenario {
    static let activePhase = SimulationDuration.seconds(1)
    static let drainTime = SimulationDuration.milliseconds(300)
    /// Network faults and pauses; clock faults are this scenario's own, so
    /// that honest clocks stay within the bound.
    static let limits = FaultLimits(
        kinds: [.pause, .partition, .block, .network], faultIntervalMin: .milliseconds(30),
        faultIntervalMax: .milliseconds(300))

    static let scenario = Scenario(
        name: "hlc",
        summary: "hybrid logical clocks under skew, drift and jumps: bounded, monotonic, causal; LWW by physical time "
            + "loses causally later writes, by HLC not (bugs: \(HybridClockBug.allCases.map(\.rawValue).joined(separator: ", ")))"
    ) { options in
        run(options).result
    }

    /// What one run measured, beyond the result.
    struct Measurement: Sendable {
        var result: ScenarioResult
        /// (replica, write) pairs where the physical-time register kept a
        /// write over a causally later one.
        var physicalLostWrites: Int
        var writes: Int
    }

    /// A run's clocks, drawn from the seed.
    struct ClockPlan {
        /// ε: every honest clock stays within this of true time.
        var skewBound: SimulationDuration
        var honest: [NodeID]
        /// The node whose clock jumps far ahead, if any.
        var rogue: NodeID?
        var rogueJump: SimulationDuration = .zero
        var rogueJumpAt = SimulationInstant.zero
        /// Honest jumps: (time, node, target offset from true time).
        var jumps: [(SimulationInstant, NodeID, Int64)] = []
    }

    static func run(_ options: ScenarioOptions) -> Measurement {
        var bug: HybridClockBug?
        if let name = options.bug {
            guard let known = HybridClockBug(rawValue: name) else {
                let result = ScenarioResult(
                    passed: false,
                    verdict: "unknown bug '\(name)'; known: \(HybridClockBug.allCases.map(\.rawValue).joined(separator: ", "))",
                    traceHash: 0)
                return Measurement(result: result, physicalLostWrites: 0, writes: 0)
            }
            bug = known
        }
        var random = SeededRandom(seed: options.seed ^ 0x41C0_C10C_0000_0002)
        let honestCount = FaultLimits.clusterSize(seed: options.seed, in: 3...5)
        var clocks = ClockPlan(skewBound: .milliseconds(random.next(in: 5...50)), honest: Array(1...honestCount))
        if random.chance(perMillion: 500_000) {
            clocks.rogue = honestCount + 1
            clocks.rogueJump = .milliseconds(random.next(in: 1_000...5_000))
            clocks.rogueJumpAt = .zero + .milliseconds(random.next(in: 50...500))
        }
        let nodes = clocks.honest + (clocks.rogue.map { [$0] } ?? [])
        let epsilon = clocks.skewBound.nanoseconds
        let settings = HybridClockSettings(
            nodes: nodes, writesPerNodeMax: Int(random.next(in: 5...15)),
            writeIntervalMax: .milliseconds(random.next(in: 10...80)),
            maximumOffsetNanoseconds: 2 * epsilon, bug: bug)

        var simulator = Simulator<HybridClockNode>(
            seed: options.seed, nodeIDs: nodes, recordsTrace: options.recordTimeline, recordsEvents: options.recordEvents,
            describeMessage: { $0.description },
            makeNode: { id, _, context in HybridClockNode(id: id, settings: settings, context: &context) })
        // Every clock starts within ε/2 and drifts at most ε/4 over the run,
        // so that jumps to anywhere within 3ε/4 keep it within ε.
        let runNanoseconds = (activePhase + drainTime).nanoseconds
        let driftMax = Int32(min(500, epsilon / 4 * 1_000_000 / runNanoseconds))
        for node in nodes {
            let skew = random.next(in: -(epsilon / 2)...(epsilon / 2))
            let drift = Int32(random.next(in: -Int64(driftMax)...Int64(driftMax)))
            simulator.setClock(node, skew: .nanoseconds(skew), driftPerMillion: drift)
        }
        for node in clocks.honest {
            for _ in 0..<random.next(in: 0...2) {
                let at = SimulationInstant.zero + .nanoseconds(random.next(in: 1...activePhase.nanoseconds))
                clocks.jumps.append((at, node, random.next(in: -(epsilon * 3 / 4)...(epsilon * 3 / 4))))
            }
        }
        clocks.jumps.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        let plan = FaultPlan.random(seed: options.seed, nodes: nodes, safetyPhase: activePhase, limits: limits)
        plan.schedule(on: &simulator)
        if let rogue = clocks.rogue {
            simulator.schedule(.clockJump(rogue, clocks.rogueJump), at: clocks.rogueJumpAt)
        }
        // Honest jumps go to a target offset, so they are applied when due,
        // knowing the clock's offset then (forward or back).
        for (at, node, target) in clocks.jumps {
            simulator.run(until: at)
            let offset = simulator.localTime(of: node).nanoseconds - simulator.now.nanoseconds
            simulator.jumpClock(node, by: .nanoseconds(target - offset))
        }
        simulator.run(until: plan.healedAt + drainTime)

        let check = HybridClockCheck(simulator: simulator, settings: settings, clocks: clocks)
        let shape = "\(clocks.honest.count) nodes, ε \(clocks.skewBound)s, \(clocks.jumps.count) clock jumps"
            + (clocks.rogue.map { ", n\($0) jumping \(clocks.rogueJump)s ahead (\(check.rejected) of its stamps rejected)" } ?? "")
            + ", \(check.writes) writes"
        let verdict = check.problems.isEmpty
            ? "hybrid timestamps stayed within ε of true time, never went backwards and respected causality; "
                + "LWW by physical time lost \(check.physicalLostWrites) causally later writes, by HLC 0 (\(shape)); \(plan.summary)"
            : check.problems.prefix(3).joined(separator: "; ") + " (\(shape)); \(plan.summary)"
        var timeline: [String] = []
        if options.recordTimeline {
            timeline.append("seed \(options.seed): \(shape); \(plan.summary)")
            timeline += simulator.trace.filter(RegisterScenario.isTimelineLine)
            timeline += check.physicalLostExamples.map { "physical-time LWW: \($0)" }
            timeline += check.problems.map { "VIOLATION: \($0)" }
        }
        let result = ScenarioResult(
            passed: check.problems.isEmpty, verdict: verdict, timeline: timeline, traceHash: simulator.traceHash,
            recording: simulator.recording)
        return Measurement(result: result, physicalLostWrites: check.physicalLostWrites, writes: check.writes)
    }
}

/// The checks of the `hlc` scenario over the nodes' stamps and registers.
struct HybridClockCheck {
    static let problemsMax = 5
    var problems: [String] = []
    var physicalLostWrites = 0
    var physicalLostExamples: [String] = []
    var writes = 0
    var rejected = 0

    init(simulator: borrowing Simulator<HybridClockNode>, settings: HybridClockSettings, clocks: HybridClockScenario.ClockPlan) {
        let epsilon = clocks.skewBound.nanoseconds
        var pasts: [Int: [UInt64]] = [:]
        var allWrites: [HybridClockWrite] = []
        for node in settings.nodes {
            guard let state = simulator.node(node) else { continue }
            rejected += state.rejected
            for write in state.written {
                pasts[write.id] = write.causalPast
                allWrites.append(write)
            }
        }
        writes = allWrites.count
        func follows(_ later: Int, _ earlier: Int) -> Bool {
            later != earlier && (pasts[later]?[earlier / 64] ?? 0) & (1 << UInt64(earlier % 64)) != 0
        }
        for node in settings.nodes {
            guard let state = simulator.node(node) else { continue }
            for (previous, next) in zip(state.stamps, state.stamps.dropFirst()) where next.stamp <= previous.stamp {
                note("n\(node)'s hybrid clock went backwards: \(previous.stamp) then \(next.stamp) at \(next.trueTime)s")
            }
            for receipt in state.receipts where receipt.received <= receipt.sent {
                note("n\(node) received w\(receipt.write) stamped \(receipt.sent) at \(receipt.received), not after it")
            }
            guard clocks.honest.contains(node) else { continue }
            for stamped in state.stamps {
                let distance = stamped.stamp.wallNanoseconds - stamped.trueTime.nanoseconds
                if abs(distance) > epsilon {
                    note("n\(node)'s hybrid time \(stamped.stamp) is \(distance) ns from true time \(stamped.trueTime)s, beyond ε \(epsilon) ns")
                }
            }
            // A replica whose register's winner is causally before another
            // write it applied has lost that causally later write.
            for (register, isHybrid) in [(state.hybridRegister, true), (state.physicalRegister, false)] {
                guard let winner = register.value else { continue }
                for id in state.appliedIDs where follows(id, winner) {
                    if isHybrid {
                        note("n\(node)'s HLC register kept w\(winner) over the causally later w\(id)")
                    } else {
                        physicalLostWrites += 1
                        if physicalLostExamples.count < Self.problemsMax {
                            physicalLostExamples.append("n\(node) kept w\(winner) over the causally later w\(id)")
                        }
                    }
                }
            }
        }
        for earlier in allWrites {
            for later in allWrites where follows(later.id, earlier.id) && later.hybrid <= earlier.hybrid {
                note("w\(later.id) causally follows w\(earlier.id) but its hybrid timestamp \(later.hybrid) is not larger than \(earlier.hybrid)")
            }
        }
    }

    mutating func note(_ problem: String) {
        if problems.count < Self.problemsMax { problems.append(problem) } else if problems.count == Self.problemsMax {
            problems.append("…")
        }
    }
}
