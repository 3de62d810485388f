import ConcordDynamo
import ConcordFoundation
import ConcordSimulation

/// The keys and operation mix of a lab run.
struct DynamoLabWorkload: Sendable {
    /// Keys written with `put` (siblings or last writer wins) and `delete`.
    var registerKeys: [String]
    /// PN-counter keys.
    var counterKeys: [String]
    /// OR-set keys.
    var setKeys: [String]
    /// How register keys are versioned.
    var mode: VersioningMode = .siblings
    /// Whether register keys are deleted too.
    var deletes: Bool
    /// Of the operations on register keys, the percentage that write (puts
    /// and, when on, deletions) rather than read.
    var writePercent = 55
    /// Of those writes, the percentage that delete.
    var deletePercent = 20
}

/// The parameters of one Dynamo lab run, drawn from its seed (swarm
/// testing: the seed varies the ring, N, the consistency levels, sessions,
/// the tick-based timers and the batch and tree sizes down to their
/// smallest legal values, not only the faults).
struct DynamoLabSettings: Sendable {
    /// Members on the ring from the start.
    var members: [NodeID]
    /// A member that joins the ring at `joinAt`, if any.
    var joining: NodeID?
    var joinAt: SimulationInstant?
    /// A member that leaves the ring at `leaveAt` (it keeps running to hand
    /// its copies over), if any.
    var leaving: NodeID?
    var leaveAt: SimulationInstant?
    var clients: [NodeID]
    /// Client i sends each request to a random member of `homes[i]` when
    /// set (else to a random member of the ring).
    var homes: [[NodeID]]?
    var dynamo: DynamoSettings
    var tickInterval = SimulationDuration.milliseconds(10)
    var workload: DynamoLabWorkload
    var sessions: Bool
    var consistencies: [RequestConsistency]
    var clientTimeout = SimulationDuration.milliseconds(400)
    var thinkTimeMax = SimulationDuration.milliseconds(20)
    var clientsStopAt: SimulationInstant

    /// Every server node (members, and the one that joins).
    var servers: [NodeID] { members + (joining.map { [$0] } ?? []) }

    func homes(of client: Int) -> [NodeID] {
        homes.map { $0[client % $0.count] } ?? members
    }

    /// The first client's node id (servers are 1…).
    static let firstClient = 101

    /// A swarm run's settings.
    static func swarm(seed: UInt64, clientsStopAt: SimulationInstant, bug: DynamoBug?) -> DynamoLabSettings {
        var random = SeededRandom(seed: seed ^ 0xD7A3_0000_5EED_0001)
        let serverCount = 3 + random.index(below: 3)
        var dynamo = DynamoSettings()
        dynamo.replicationFactor = random.chance(perMillion: 750_000) ? 3 : 2
        dynamo.virtualNodesPerMember = [1, 2, 8][random.index(below: 3)]
        dynamo.escalationTicks = [1, 3, 5][random.index(below: 3)]
        dynamo.requestTimeoutTicks = 25
        dynamo.readRepairWaitTicks = [0, 4][random.index(below: 2)]
        dynamo.handoffIntervalTicks = [1, 5][random.index(below: 2)]
        dynamo.handoffKeysPerMessageMax = [1, 32][random.index(below: 2)]
        dynamo.antiEntropyIntervalTicks = [2, 10][random.index(below: 2)]
        dynamo.merkleBranching = [2, 4][random.index(below: 2)]
        dynamo.merkleDepth = [1, 3][random.index(below: 2)]
        dynamo.tombstoneAgeTicksMin = [5, 20][random.index(below: 2)]
        dynamo.reapKeysPerRoundMax = [1, 32][random.index(below: 2)]
        dynamo.testingBugs = bug.map { [$0] } ?? []
        // Drawn apart, so the draws above stay what each seed has always drawn.
        var policy = SeededRandom(seed: seed ^ 0xD7A3_0000_5EED_0002)
        dynamo.readsAskEveryReplica = policy.chance(perMillion: 250_000)
        let members = Array(1...serverCount)
        var settings = DynamoLabSettings(
            members: members, clients: Array(firstClient..<(firstClient + 3 + random.index(below: 2))),
            dynamo: dynamo,
            workload: DynamoLabWorkload(
                registerKeys: (0..<[1, 2, 4, 8, 16][random.index(below: 5)]).map { "k\($0)" }, counterKeys: ["n0"], setKeys: ["s0"],
                deletes: true),
            sessions: random.chance(perMillion: 500_000),
            consistencies: [], clientsStopAt: clientsStopAt)
        // Sessions are checked on histories without deletions (a read of
        // nothing after a deletion cannot be placed among the versions).
        if settings.sessions { settings.workload.deletes = false }
        let levels: [ConsistencyLevel] = [.one, .quorum, .all]
        let sloppy = random.chance(perMillion: 700_000)
        let levelCount = 1 + random.index(below: 3)
        for _ in 0..<levelCount {
            settings.consistencies.append(RequestConsistency(
                read: levels[random.index(below: 3)], write: levels[random.index(below: 3)], sloppy: sloppy))
        }
        let ringChange = random.next(below: 10)
        if ringChange < 2 {
            settings.joining = serverCount + 1
            settings.joinAt = .zero + .milliseconds(Int64(200 + random.next(below: 1_500)))
        } else if ringChange < 4 && serverCount > dynamo.replicationFactor {
            settings.leaving = members[random.index(below: members.count)]
            settings.leaveAt = .zero + .milliseconds(Int64(200 + random.next(below: 1_500)))
        }
        return settings
    }
}
