import ConcordFoundation
import ConcordSimulation

/// Crashes aimed at the moments where Paxos's subtler bugs live, added on
/// top of a run's swarm faults in the hunting profile (the counterpart of
/// the Raft lab's `RaftFaultHunter`).
///
/// The hunter watches the servers' public statistics between events, as an
/// operator with a debugger could, and never reads the safety monitor or
/// knows which bug is switched on. Its aims, and how eager it is, are drawn
/// from the run's seed:
///
/// - Acceptors: a server whose acceptor has just answered a prepare or an
///   accept is crashed a moment later (often before the answered state
///   reaches the slow disk) and restarted soon after, while the answer's
///   consequences are still in flight.
/// - Leaders: a server that has just started to lead is crashed a little
///   later and restarted after about an election timeout.
///
/// Every crash it makes is repaired by `healedAt`, and it keeps a majority up.
struct PaxosFaultHunter {
    /// The longest wait between an answer and the acceptor's crash.
    static let acceptorCrashDelayMax = SimulationDuration.milliseconds(1)
    /// How long an acceptor crashed by the hunter stays down.
    static let acceptorDowntime = SimulationDuration.microseconds(200)...SimulationDuration.milliseconds(10)
    /// The longest wait after a leader starts before it is crashed.
    static let leaderLifetimeMax = SimulationDuration.milliseconds(40)
    /// How long a leader crashed by the hunter stays down.
    static let leaderDowntime = SimulationDuration.milliseconds(20)...SimulationDuration.milliseconds(250)

    /// A crash the hunter decided on, and the restart that repairs it.
    struct Strike {
        var node: NodeID
        var crashAt: SimulationInstant
        var restartAt: SimulationInstant
    }

    private var random: SeededRandom
    private let servers: [NodeID]
    private let healedAt: SimulationInstant
    /// How often fresh answers are aimed at (per million; 0: never).
    let acceptorChance: UInt64
    /// How often new leaders are aimed at (per million; 0: never).
    let leaderChance: UInt64
    private var seen: [NodeID: (answers: Int, leads: Bool)] = [:]
    private var down: [NodeID: SimulationInstant] = [:]
    /// How many crashes the hunter made.
    private(set) var strikes = 0

    init(seed: UInt64, servers: [NodeID], healedAt: SimulationInstant) {
        random = SeededRandom(seed: seed ^ 0x9A05_C4A5_4E57_0B5E)
        self.servers = servers
        self.healedAt = healedAt
        acceptorChance = random.chance(perMillion: 800_000) ? 200_000 + random.next(below: 600_001) : 0
        leaderChance = random.chance(perMillion: 800_000) ? 300_000 + random.next(below: 700_001) : 0
    }

    /// Looks at the servers between two events; returns a crash to make, or nil.
    mutating func observe<Server: PaxosLabServer>(_ simulator: borrowing Simulator<PaxosLabNode<Server>>) -> Strike? {
        let now = simulator.now
        down = down.filter { $0.value > now }
        for server in servers {
            guard let node = simulator.node(server)?.server else {
                seen[server] = nil
                continue
            }
            let current = (answers: node.acceptorAnswers, leads: node.leads)
            let previous = seen[server]
            seen[server] = current
            guard let previous, now < healedAt, down[server] == nil else { continue }
            let crashed = servers.filter { !simulator.isRunning($0) }.count
            guard crashed < (servers.count - 1) / 2 else { continue }
            if current.answers > previous.answers && acceptorChance > 0 && random.next(below: 1_000_000) < acceptorChance {
                return strike(server, now: now, delayMax: Self.acceptorCrashDelayMax, downtime: Self.acceptorDowntime)
            }
            if current.leads && !previous.leads && leaderChance > 0 && random.next(below: 1_000_000) < leaderChance {
                return strike(server, now: now, delayMax: Self.leaderLifetimeMax, downtime: Self.leaderDowntime)
            }
        }
        return nil
    }

    private mutating func strike(
        _ server: NodeID, now: SimulationInstant, delayMax: SimulationDuration, downtime: ClosedRange<SimulationDuration>
    ) -> Strike? {
        let crashAt = now + .nanoseconds(random.next(in: 0...delayMax.nanoseconds))
        guard crashAt < healedAt else { return nil }
        let length = random.next(in: downtime.lowerBound.nanoseconds...downtime.upperBound.nanoseconds)
        let restartAt = min(crashAt + .nanoseconds(length), healedAt)
        down[server] = restartAt
        strikes += 1
        return Strike(node: server, crashAt: crashAt, restartAt: restartAt)
    }
}
