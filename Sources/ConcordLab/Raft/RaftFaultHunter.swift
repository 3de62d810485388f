import ConcordFoundation
import ConcordRaft
import ConcordSimulation

/// Crashes aimed at the moments where Raft's subtler bugs live, added on
/// top of a run's swarm faults in the bug-hunting profile.
///
/// The hunter watches the servers' public state (term, vote, role) between
/// events, as an operator with a debugger could, and never reads the
/// safety monitor or knows which bug is switched on. Its aims, and how
/// eager it is, are drawn from the run's seed (swarm testing):
///
/// - Voters: a server that has just granted its vote to another server is
///   crashed a moment later (often before the vote reaches the slow disk)
///   and restarted soon after, while other vote requests of the same term
///   may still be in flight.
/// - Leaders: a server that has just become leader is crashed a little
///   later (often after it replicated part of its log, before its own
///   term's entry reached a majority) and restarted soon after, so leaders
///   of several terms come and go as in Raft's Figure 8.
///
/// Every crash it makes is repaired by `healedAt`, so the liveness phase
/// is unaffected.
struct RaftFaultHunter {
    /// The longest wait between a granted vote and the voter's crash.
    static let voterCrashDelayMax = SimulationDuration.milliseconds(1)
    /// How long a voter crashed by the hunter stays down: short, so that
    /// vote requests of the same term are still in flight when it is back.
    static let voterDowntime = SimulationDuration.microseconds(200)...SimulationDuration.milliseconds(10)
    /// The longest wait after a leader is elected before it is crashed.
    static let leaderLifetimeMax = SimulationDuration.milliseconds(40)
    /// How long a leader crashed by the hunter stays down: about an
    /// election timeout, so that another server may lead meanwhile.
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
    /// Whether granted votes are aimed at this run, and how often (per million).
    let voterChance: UInt64
    /// Whether new leaders are aimed at this run, and how often (per million).
    let leaderChance: UInt64
    /// The last (term, vote, role) seen per server.
    private var seen: [NodeID: (term: UInt64, vote: MemberID?, isLeader: Bool)] = [:]
    /// Servers the hunter has crashed and not yet restarted, until when.
    private var down: [NodeID: SimulationInstant] = [:]
    /// How many crashes the hunter made.
    private(set) var strikes = 0

    init(seed: UInt64, servers: [NodeID], healedAt: SimulationInstant) {
        random = SeededRandom(seed: seed ^ 0x4B17_C4A5_4E57_0B5E)
        self.servers = servers
        self.healedAt = healedAt
        // Each aim is on in most runs, at an eagerness drawn per run.
        voterChance = random.chance(perMillion: 800_000) ? 300_000 + random.next(below: 700_001) : 0
        leaderChance = random.chance(perMillion: 800_000) ? 300_000 + random.next(below: 700_001) : 0
    }

    /// Looks at the servers between two events; returns a crash to make,
    /// or nil.
    /// - Parameters:
    ///   - now: the simulator's time.
    ///   - isRunning: whether a server runs (is not crashed).
    ///   - state: a running server's term, vote and whether it leads.
    mutating func observe(
        now: SimulationInstant, isRunning: (NodeID) -> Bool, state: (NodeID) -> (UInt64, MemberID?, Bool)?
    ) -> Strike? {
        down = down.filter { $0.value > now }
        for server in servers {
            guard let (term, vote, isLeader) = state(server) else {
                seen[server] = nil
                continue
            }
            let current = (term: term, vote: vote, isLeader: isLeader)
            let previous = seen[server]
            seen[server] = current
            guard let previous, now < healedAt, down[server] == nil else { continue }
            // Keep a majority up, counting every crashed server.
            let crashed = servers.filter { !isRunning($0) }.count
            guard crashed < (servers.count - 1) / 2 else { continue }
            let grantedVote =
                current.vote != nil && current.vote != MemberID(server)
                && (current.term != previous.term || current.vote != previous.vote)
            if grantedVote && voterChance > 0 && random.next(below: 1_000_000) < voterChance {
                return strike(server, now: now, delayMax: Self.voterCrashDelayMax, downtime: Self.voterDowntime)
            }
            if current.isLeader && !previous.isLeader && leaderChance > 0
                && random.next(below: 1_000_000) < leaderChance
            {
                return strike(server, now: now, delayMax: Self.leaderLifetimeMax, downtime: Self.leaderDowntime)
            }
        }
        return nil
    }

    private mutating func strike(
        _ server: NodeID, now: SimulationInstant, delayMax: SimulationDuration,
        downtime downtimes: ClosedRange<SimulationDuration>
    ) -> Strike? {
        let crashAt = now + .nanoseconds(random.next(in: 0...delayMax.nanoseconds))
        guard crashAt < healedAt else { return nil }
        let downtime = random.next(in: downtimes.lowerBound.nanoseconds...downtimes.upperBound.nanoseconds)
        let restartAt = min(crashAt + .nanoseconds(downtime), healedAt)
        down[server] = restartAt
        strikes += 1
        return Strike(node: server, crashAt: crashAt, restartAt: restartAt)
    }
}
