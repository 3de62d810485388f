import ConcordFoundation

/// A run's faults, derived from its seed (swarm testing).
///
/// The seed picks which kinds of fault the run uses (a random subset of the
/// limits' kinds, as in Groce et al., "Swarm Testing", ISSTA 2012), how often
/// they strike, the network's conditions, and then a schedule of concrete
/// faults over the safety phase. At `healedAt`, the end of the safety phase, a
/// majority (`healedNodes`) is healed: every link is unblocked, message loss is
/// turned off, and the majority's crashed members restart and paused ones
/// resume. The minority may stay down. From then on a correct protocol must
/// make progress, within a bound the protocol's test states.
public struct FaultPlan: Sendable {
    /// The seed the plan was derived from.
    public let seed: UInt64
    /// The nodes faults may strike (servers; clients are left alone).
    public let nodes: [NodeID]
    /// The kinds of fault this run enabled.
    public let kinds: FaultKinds
    /// The mean time between faults this run picked.
    public let faultInterval: SimulationDuration
    /// The network's conditions at the start of the run.
    public let network: NetworkConditions
    /// The faults in time order, the healing ones at `healedAt` included.
    public var faults: [(SimulationInstant, Fault)]
    /// The end of the safety phase: from here on `healedNodes` are healed.
    public let healedAt: SimulationInstant
    /// The majority healed at `healedAt`.
    public let healedNodes: [NodeID]

    /// Derives a plan from `seed` within `limits`.
    ///
    /// - Parameters:
    ///   - seed: the run's seed. The plan uses its own stream derived from it,
    ///     so it does not disturb the simulator's.
    ///   - nodes: the nodes faults may strike; at least one.
    ///   - safetyPhase: how long faults strike, from time zero.
    ///   - limits: the bounds of every choice.
    public static func random(seed: UInt64, nodes: [NodeID], safetyPhase: SimulationDuration, limits: FaultLimits) -> FaultPlan {
        precondition(!nodes.isEmpty, "a fault plan needs nodes")
        precondition(safetyPhase.nanoseconds >= 0, "the safety phase cannot be negative")
        var builder = FaultPlanBuilder(seed: seed, nodes: nodes, limits: limits)
        return builder.build(safetyPhase: safetyPhase)
    }

    /// Sets the plan's network conditions now and schedules every fault.
    public func schedule<Node: SimulatedNode>(on simulator: inout Simulator<Node>) {
        simulator.setNetwork(network)
        for (time, fault) in faults {
            simulator.schedule(fault, at: time)
        }
    }

    /// One line describing the run's swarm parameters.
    public var summary: String {
        "faults \(kinds.names) every ~\(faultInterval)s, \(network), \(faults.count) faults, healed at \(healedAt)s: "
            + healedNodes.map { "n\($0)" }.joined(separator: ",")
    }
}

/// Tracks what the schedule has done so far so each fault is plausible (only
/// running nodes crash, only crashed ones restart).
struct FaultPlanBuilder {
    let seed: UInt64
    let nodes: [NodeID]
    let limits: FaultLimits
    var random: SeededRandom
    var down: [NodeID] = []
    var paused: [NodeID] = []
    var faults: [(SimulationInstant, Fault)] = []
    var kinds: FaultKinds = []
    var weights: [(FaultKinds, UInt64)] = []
    var network: NetworkConditions

    /// The largest number of nodes crashed or paused at once.
    var unavailableMax: Int {
        limits.allowsMajorityDown ? nodes.count : (nodes.count - 1) / 2
    }

    init(seed: UInt64, nodes: [NodeID], limits: FaultLimits) {
        self.seed = seed
        self.nodes = nodes
        self.limits = limits
        // A different stream from the simulator's, which starts from the seed itself.
        random = SeededRandom(seed: seed ^ 0xFA17_5EED_0DD5_CAFE)
        network = NetworkConditions(latencyMin: limits.latencyMin, latencyMax: limits.latencyMax)
    }

    mutating func build(safetyPhase: SimulationDuration) -> FaultPlan {
        for (kind, _) in FaultKinds.named where limits.kinds.contains(kind) && random.chance(perMillion: 500_000) {
            kinds.insert(kind)
            weights.append((kind, 1 + random.next(below: 4)))
        }
        let interval = SimulationDuration(nanoseconds: random.next(in: limits.faultIntervalMin.nanoseconds...limits.faultIntervalMax.nanoseconds))
        if kinds.contains(.network) { network = randomNetwork() }
        let initialNetwork = network
        let end = SimulationInstant.zero + safetyPhase
        var time = SimulationInstant.zero
        while !weights.isEmpty {
            time += .nanoseconds(random.next(in: 1...(2 * interval.nanoseconds)))
            guard time < end else { break }
            if let fault = nextFault(kind: pickKind()) {
                faults.append((time, fault))
            }
        }
        let healed = healMajority(at: end)
        return FaultPlan(
            seed: seed, nodes: nodes, kinds: kinds, faultInterval: interval, network: initialNetwork,
            faults: faults, healedAt: end, healedNodes: healed
        )
    }

    mutating func pickKind() -> FaultKinds {
        let total = weights.reduce(0) { $0 + $1.1 }
        var draw = random.next(below: total)
        for (kind, weight) in weights {
            if draw < weight { return kind }
            draw -= weight
        }
        preconditionFailure("weights do not add up")
    }

    mutating func nextFault(kind: FaultKinds) -> Fault? {
        switch kind {
        case .crash: return crashOrRestart()
        case .pause: return pauseOrResume()
        case .partition:
            if random.chance(perMillion: 300_000) { return .heal }
            return .partition(randomSplit())
        case .block:
            if random.chance(perMillion: 300_000) || nodes.count < 2 { return .heal }
            let from = nodes[random.index(below: nodes.count)]
            let others = nodes.filter { $0 != from }
            return .block(from: from, to: others[random.index(below: others.count)])
        case .network:
            network = randomNetwork()
            return .network(network)
        case .clock:
            let node = nodes[random.index(below: nodes.count)]
            if random.chance(perMillion: 500_000) {
                let jump = random.next(in: -limits.clockJumpMax.nanoseconds...limits.clockJumpMax.nanoseconds)
                return .clockJump(node, .nanoseconds(jump))
            }
            let skew = random.next(in: -limits.clockSkewMax.nanoseconds...limits.clockSkewMax.nanoseconds)
            let driftMax = Int64(limits.clockDriftPerMillionMax)
            let drift = Int32(random.next(in: -driftMax...driftMax))
            return .clockSkew(node, .nanoseconds(skew), driftPerMillion: drift)
        default:
            preconditionFailure("unknown fault kind \(kind)")
        }
    }

    mutating func crashOrRestart() -> Fault? {
        let running = nodes.filter { !down.contains($0) && !paused.contains($0) }
        let canCrash = down.count + paused.count < unavailableMax && !running.isEmpty
        if !down.isEmpty && (!canCrash || random.chance(perMillion: 500_000)) {
            let node = down.remove(at: random.index(below: down.count))
            return .restart(node)
        }
        guard canCrash else { return nil }
        let node = running[random.index(below: running.count)]
        down.append(node)
        return .crash(node)
    }

    mutating func pauseOrResume() -> Fault? {
        let running = nodes.filter { !down.contains($0) && !paused.contains($0) }
        let canPause = down.count + paused.count < unavailableMax && !running.isEmpty
        if !paused.isEmpty && (!canPause || random.chance(perMillion: 500_000)) {
            let node = paused.remove(at: random.index(below: paused.count))
            return .resume(node)
        }
        guard canPause else { return nil }
        let node = running[random.index(below: running.count)]
        paused.append(node)
        return .pause(node)
    }

    /// Two non-empty groups when there are at least two nodes.
    mutating func randomSplit() -> [[NodeID]] {
        var shuffled = nodes
        shuffle(&shuffled)
        let cut = shuffled.count < 2 ? shuffled.count : 1 + random.index(below: shuffled.count - 1)
        return [Array(shuffled[..<cut]), Array(shuffled[cut...])]
    }

    mutating func randomNetwork() -> NetworkConditions {
        let latencyMax = random.next(in: limits.latencyMin.nanoseconds...limits.latencyMax.nanoseconds)
        return NetworkConditions(
            latencyMin: limits.latencyMin,
            latencyMax: .nanoseconds(latencyMax),
            lossPerMillion: UInt32(random.next(below: UInt64(limits.lossPerMillionMax) + 1)),
            duplicationPerMillion: UInt32(random.next(below: UInt64(limits.duplicationPerMillionMax) + 1)),
            reorderPerMillion: UInt32(random.next(below: UInt64(limits.reorderPerMillionMax) + 1))
        )
    }

    mutating func healMajority(at time: SimulationInstant) -> [NodeID] {
        var shuffled = nodes
        shuffle(&shuffled)
        let majority = Array(shuffled[..<(nodes.count / 2 + 1)])
        faults.append((time, .heal))
        var healedNetwork = network
        healedNetwork.lossPerMillion = 0
        faults.append((time, .network(healedNetwork)))
        for node in nodes where majority.contains(node) {
            if down.contains(node) { faults.append((time, .restart(node))) }
            if paused.contains(node) { faults.append((time, .resume(node))) }
        }
        return nodes.filter { majority.contains($0) }
    }

    /// Fisher–Yates with the plan's stream.
    mutating func shuffle(_ values: inout [NodeID]) {
        guard values.count > 1 else { return }
        for index in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(index, random.index(below: index + 1))
        }
    }
}
