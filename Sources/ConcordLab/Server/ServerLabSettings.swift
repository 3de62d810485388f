import ConcordFoundation
import ConcordRaft
import ConcordServerCore
import ConcordSimulation
import ConcordZooKeeper

/// The parameters of one run of the server simulation, all derived from the
/// run's seed (swarm testing: node counts, timeouts, batch, message and
/// in-flight limits down to their smallest legal values, snapshot
/// thresholds, client concurrency and key space).
struct ServerLabSettings: Sendable {
    /// The founding members.
    var founders: [NodeID]
    /// A member that joins the running cluster when the admin adds it, or nil.
    var spare: NodeID?
    /// Clients of the key-value workload.
    var clients: [NodeID]
    /// Clients of the lease workload.
    var leaseClients: [NodeID]
    /// Clients that watch the key-value keys.
    var watchers: [NodeID]
    /// The client that changes membership and moves leadership, or nil.
    var admin: NodeID?
    /// The client that reads every key after healing.
    var finalReader: NodeID

    /// The servers a client sends its requests to, when not every server
    /// (the consistency matrix keeps each client on its side of a partition).
    var clientServers: [NodeID: [NodeID]] = [:]

    /// Every server, founders first.
    var servers: [NodeID] { founders + (spare.map { [$0] } ?? []) }

    /// The servers client `id` sends its requests to.
    func servers(for id: NodeID) -> [NodeID] { clientServers[id] ?? servers }
    /// Every client.
    var allClients: [NodeID] { clients + leaseClients + watchers + (admin.map { [$0] } ?? []) + [finalReader] }

    /// Virtual time between two ticks of a server.
    var tick = SimulationDuration.milliseconds(10)
    /// How long a server waits before flushing queued proposals.
    var flushDelay = SimulationDuration.microseconds(200)
    /// The replication engine every server runs.
    var consensus: ConsensusEngineKind = .raft
    /// Raft's settings shared by every server (the id is set per server);
    /// Multi-Paxos takes the ones the engines share.
    var raft: RaftConfiguration
    /// A member snapshots after this many applied entries.
    var snapshotEveryEntries: UInt64 = 64
    /// When set, the servers' cores hand snapshots to the shell to encode
    /// (as `concord server` does, off its actor), and the encoded bytes
    /// come back this long after; nil: the core encodes at once.
    var snapshotEncodeDelay: SimulationDuration?
    /// The most proposal bytes handed to Raft together.
    var proposalBatchBytesMax = 512 * 1024
    /// How many applied proposals the duplicate filter remembers.
    var appliedProposalsRemembered = 4096
    /// A server's request timeout, in milliseconds.
    var serverRequestTimeoutMilliseconds = 1000
    /// The segment size of the simulated write-ahead log.
    var segmentBytes = 16 * 1024
    /// How long a client waits for an answer before it gives up on it.
    var clientTimeout = SimulationDuration.milliseconds(300)
    /// The longest pause between two operations of a client.
    var thinkTimeMax = SimulationDuration.milliseconds(20)
    /// The keys of the linearizable workload (few, so that operations contend).
    var keys: [String] = ["k0", "k1", "k2"]
    /// The shortest and longest lease TTL granted by the lease workload, in seconds.
    var leaseTTLSeconds: ClosedRange<Int64> = 1...2
    /// One in this many key-value operations is a compaction (0: none).
    var compactionOneIn: UInt64 = 40
    /// When true, the workload's recorded gets are serializable (served
    /// from the applied state of the member asked, without a read round),
    /// and every client keeps each answer's revision for
    /// ``SequentialWitness`` (the consistency matrix's sequential row).
    var readsServedLocally = false
    /// Clients issue no new operation after this instant of true time.
    var clientsStopAt: SimulationInstant
    /// Test-only server bugs.
    var bugs: Set<ServerBug> = []
    /// The cluster id of the founding members.
    var clusterID: UInt64 = 0xC0C0_5EED
    /// Clients of the ZooKeeper workload (`ZooKeeperScenario`).
    var zooKeeperClients: [NodeID] = []
    /// How the members serve ZooKeeper clients; nil: they serve none.
    var zooKeeper: ZooKeeper.ServerConfiguration?
    /// The session timeout the ZooKeeper clients ask for, in milliseconds.
    var zooKeeperSessionTimeoutMilliseconds: Int32 = 600

    /// The server core's settings for server `id`.
    func coreConfiguration(for id: NodeID) -> ServerCoreConfiguration {
        let joining = id == spare
        var initial = founders.map { Self.initialMember($0) }
        if let spare, joining { initial.append(Self.initialMember(spare)) }
        var configuration = ServerCoreConfiguration(
            memberID: UInt64(id), name: Self.name(id), clusterID: joining ? 0 : clusterID, joinedRunningCluster: joining,
            initialMembers: initial, clientURLs: ["sim://client/n\(id)"])
        configuration.consensus = consensus
        configuration.raft = raft
        configuration.raft.id = MemberID(id)
        configuration.tickMilliseconds = Int(tick.nanoseconds / 1_000_000)
        configuration.requestTimeoutMilliseconds = serverRequestTimeoutMilliseconds
        configuration.snapshotEveryEntries = snapshotEveryEntries
        configuration.encodesSnapshotsInShell = snapshotEncodeDelay != nil
        configuration.proposalBatchBytesMax = proposalBatchBytesMax
        configuration.appliedProposalsRemembered = appliedProposalsRemembered
        configuration.memberHealthIntervalMilliseconds = 500
        configuration.removedPeerLingerMilliseconds = 300
        configuration.reportsAppliedEntries = true
        configuration.bugs = bugs
        if let zooKeeper {
            configuration.zooKeeper = zooKeeper
            configuration.zooKeeperSHA1 = Self.noSHA1
        }
        return configuration
    }

    /// The simulated ZooKeeper clients never authenticate, so digest
    /// authentication's SHA-1 is never called.
    static let noSHA1: @Sendable ([UInt8]) -> [UInt8] = { _ in
        preconditionFailure("the simulated ZooKeeper clients do not authenticate")
    }

    static func name(_ id: NodeID) -> String { "n\(id)" }

    static func peerURL(_ id: NodeID) -> String { "sim://n\(id)" }

    static func initialMember(_ id: NodeID) -> InitialMember {
        InitialMember(name: name(id), peerURL: peerURL(id), foundingID: UInt64(id), joiningID: UInt64(id))
    }

    /// The `raft` scenario's variant: Raft is what is under test, so the
    /// workload is key-value clients only (no leases, watches, operator or
    /// spare member), more and more eager, contending on two keys, and
    /// CheckQuorum is drawn from the seed too (without it a deposed leader
    /// can linger in a minority: a correct core stays safe, and broken ones
    /// show it sooner).
    mutating func focusOnRaft(seed: UInt64) {
        var random = SeededRandom(seed: seed ^ 0x7AF7_0000_5EED_0002)
        raft.checkQuorum = random.chance(perMillion: 500_000)
        spare = nil
        leaseClients = []
        watchers = []
        admin = nil
        let first = 100
        clients = Array(first..<(first + 6))
        finalReader = first + 6
        keys = ["k0", "k1"]
        thinkTimeMax = .milliseconds(3)
        compactionOneIn = 1000
    }

    /// Runs every server on `engine`. Multi-Paxos has a fixed group, so no
    /// spare member joins (the operator's membership changes expect its
    /// refusal instead).
    mutating func use(_ engine: ConsensusEngineKind) {
        consensus = engine
        if engine == .multiPaxos { spare = nil }
    }

    /// Derives a run's settings from `seed`.
    static func derive(seed: UInt64, bugs: Set<ServerBug>, raftBug: RaftBug?, clientsStopAt: SimulationInstant) -> ServerLabSettings {
        var random = SeededRandom(seed: seed ^ 0x5E7C_0DE5_0000_0009)
        let founderCount = random.chance(perMillion: 600_000) ? 3 : 5
        let founders = Array(1...founderCount)
        let spare: NodeID? = random.chance(perMillion: 600_000) ? founderCount + 1 : nil
        var raft = RaftConfiguration(id: 1)
        raft.electionTimeoutTicks = [10, 15, 20][random.index(below: 3)]
        raft.heartbeatIntervalTicks = [1, 2, 3][random.index(below: 3)]
        raft.preVote = random.chance(perMillion: 800_000)
        raft.checkQuorum = true
        raft.entriesPerMessageMax = [1, 4, 64][random.index(below: 3)]
        raft.inflightMessagesMax = [1, 4, 64][random.index(below: 3)]
        raft.snapshotChunkBytesMax = [64, 512, 64 << 10][random.index(below: 3)]
        raft.proposalForwarding = .forwardToLeader
        raft.testingBugs = raftBug.map { [$0] } ?? []
        var next = 100
        func take(_ count: Int) -> [NodeID] {
            defer { next += count }
            return Array(next..<(next + count))
        }
        let clients = take(2 + random.index(below: 5))
        let leaseClients = take(random.index(below: 3))
        let watchers = take(1 + random.index(below: 2))
        let admin: NodeID? = random.chance(perMillion: 700_000) ? take(1)[0] : nil
        let finalReader = take(1)[0]
        var settings = ServerLabSettings(
            founders: founders, spare: spare, clients: clients, leaseClients: leaseClients, watchers: watchers, admin: admin,
            finalReader: finalReader, raft: raft, clientsStopAt: clientsStopAt)
        settings.flushDelay = [.nanoseconds(0), .microseconds(200), .milliseconds(2)][random.index(below: 3)]
        settings.snapshotEveryEntries = [4, 16, 64, 256][random.index(below: 4)]
        settings.proposalBatchBytesMax = [64, 1024, 512 * 1024][random.index(below: 3)]
        settings.segmentBytes = [4 * 1024, 64 * 1024][random.index(below: 2)]
        settings.thinkTimeMax = [.milliseconds(1), .milliseconds(5), .milliseconds(20)][random.index(below: 3)]
        settings.keys = random.chance(perMillion: 300_000) ? ["k0"] : ["k0", "k1", "k2"]
        settings.bugs = bugs
        // Drawn from a generator of its own, so that every other choice a
        // seed made before stays as it was.
        var encoding = SeededRandom(seed: seed ^ 0x5E7C_0DE5_0000_00E7)
        if encoding.chance(perMillion: 500_000) {
            settings.snapshotEncodeDelay = [.microseconds(50), .milliseconds(5), .milliseconds(40)][encoding.index(below: 3)]
        }
        return settings
    }
}
