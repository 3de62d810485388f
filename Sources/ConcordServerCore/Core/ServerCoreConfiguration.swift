import ConcordKV
import ConcordRaft
import ConcordZooKeeper

/// A member named by `--initial-cluster`, as the server core needs it.
public struct InitialMember: Sendable, Hashable {
    /// The member's name.
    public var name: String
    /// Where peers reach the member, `http://host:port`.
    public var peerURL: String
    /// The id of a founding member (derived from its name).
    public var foundingID: UInt64
    /// The id the member has when it joined a running cluster (derived from
    /// its peer URL, as `member add` derives it).
    public var joiningID: UInt64

    /// Creates a member.
    public init(name: String, peerURL: String, foundingID: UInt64, joiningID: UInt64) {
        self.name = name
        self.peerURL = peerURL
        self.foundingID = foundingID
        self.joiningID = joiningID
    }
}

/// What a `ServerCore` is told once, at construction: its identity, its
/// cluster, its limits and its timing, all in plain values.
public struct ServerCoreConfiguration: Sendable {
    /// This member's id.
    public var memberID: UInt64
    /// This member's name (`--name`).
    public var name: String
    /// The cluster's id; 0 while a member that joined a running cluster has
    /// not yet learned it (it adopts the id of the first valid frame from a
    /// peer it knows).
    public var clusterID: UInt64
    /// True for a member started with `--initial-cluster-state existing`.
    public var joinedRunningCluster: Bool
    /// The members `--initial-cluster` names.
    public var initialMembers: [InitialMember]
    /// Where clients reach this member; published to the registry.
    public var clientURLs: [String]

    /// Milliseconds between ticks.
    public var tickMilliseconds: Int = 50
    /// The replication engine (`concord server --consensus`).
    public var consensus: ConsensusEngineKind = .raft
    /// Raft's settings: timeouts in ticks, message and in-flight limits,
    /// test-only Raft bugs. Its `id` is `memberID`. Multi-Paxos takes the
    /// settings both engines share from here (`multiPaxosSettings`).
    public var raft: RaftConfiguration
    /// How long a client request may wait for its answer, in milliseconds.
    public var requestTimeoutMilliseconds: Int = 5000
    /// A snapshot is taken once this many entries were applied since the last.
    public var snapshotEveryEntries: UInt64 = 100_000
    /// True when the shell encodes snapshots: the core captures its state
    /// (``ServerOutput/snapshotToEncode``, a copy-on-write copy, so taking
    /// it costs nothing now) and compacts the log when the shell hands the
    /// bytes back (`onSnapshotEncoded`). A server encodes off its actor,
    /// which at a million keys takes longer than an election timeout. False:
    /// the core encodes at once, in the call that applied the entries.
    public var encodesSnapshotsInShell = false
    /// The largest request, in bytes (etcd's `--max-request-bytes`).
    public var requestBytesMax: Int = 1_572_864
    /// The most bytes of proposals handed to Raft together (they travel in
    /// one append, or one forwarded message on a follower).
    public var proposalBatchBytesMax: Int = 512 * 1024
    /// The watch hub's limits (watchers per stream, a slow consumer's lag).
    public var watchLimits = WatchLimits()
    /// The most expired leases the leader proposes to revoke per tick
    /// (etcd rate-limits revokes the same way).
    public var expiredLeasesPerTickMax: Int = 500
    /// How long a removed peer's connection outlives its removal, in
    /// milliseconds, so that the messages telling it the removal committed
    /// still reach it.
    public var removedPeerLingerMilliseconds: Int = 3000
    /// How long a voter must have been heard from without a gap before it
    /// counts as connected for etcd's strict reconfiguration check
    /// (etcd's `HealthInterval`, 5 s).
    public var memberHealthIntervalMilliseconds: Int = 5000
    /// How many applied proposals the replicated duplicate filter
    /// remembers (a proposal retried after a leader change is applied once).
    public var appliedProposalsRemembered: Int = 131_072
    /// Simulation-only: list every applied entry in `ServerOutput.appliedEntries`,
    /// for a monitor that checks replicas apply the same log.
    public var reportsAppliedEntries = false
    /// Test-only: known bugs to re-introduce (see `ServerBug`).
    public var bugs: Set<ServerBug> = []
    /// How this member serves ZooKeeper clients (timeouts, limits); nil:
    /// it serves none (a connection is closed at once). Either way it
    /// applies the ZooKeeper transactions of the log to its replica, so
    /// that its snapshots are whole and a later listener starts current.
    public var zooKeeper: ZooKeeper.ServerConfiguration?
    /// SHA-1, for ZooKeeper's digest authentication (the core computes no
    /// hash; the runtime passes swift-crypto's). Required with `zooKeeper`.
    public var zooKeeperSHA1: (@Sendable ([UInt8]) -> [UInt8])?

    /// Creates a configuration.
    public init(
        memberID: UInt64, name: String, clusterID: UInt64, joinedRunningCluster: Bool,
        initialMembers: [InitialMember], clientURLs: [String]
    ) {
        self.memberID = memberID
        self.name = name
        self.clusterID = clusterID
        self.joinedRunningCluster = joinedRunningCluster
        self.initialMembers = initialMembers
        self.clientURLs = clientURLs
        raft = RaftConfiguration(id: memberID)
    }

    /// The election timeout, in milliseconds.
    public var electionTimeoutMilliseconds: Int { raft.electionTimeoutTicks * tickMilliseconds }

    /// Why this configuration cannot run; empty when it can.
    public var problems: [String] {
        var problems = raft.problems
        if raft.id != memberID { problems.append("Raft's id differs from the member id") }
        if tickMilliseconds < 1 { problems.append("the tick must be at least 1 ms") }
        if requestBytesMax < 1 { problems.append("the request limit must be positive") }
        if snapshotEveryEntries < 1 { problems.append("the snapshot interval must be positive") }
        if proposalBatchBytesMax < 1 { problems.append("the proposal batch limit must be positive") }
        if appliedProposalsRemembered < 1 { problems.append("the duplicate filter must remember at least one proposal") }
        if zooKeeper != nil && zooKeeperSHA1 == nil {
            problems.append("serving ZooKeeper clients needs a SHA-1 function (zooKeeperSHA1), for digest authentication")
        }
        if consensus == .multiPaxos && joinedRunningCluster {
            problems.append("a member cannot join a running Multi-Paxos cluster: its replicas are fixed")
        }
        return problems
    }

    /// The shortest lease TTL granted: long enough to outlive an election
    /// (etcd's `minTTL`: 1.5 election timeouts, rounded up to seconds).
    public var leaseTTLSecondsMin: Int64 { Int64(max(1, (3 * electionTimeoutMilliseconds + 1999) / 2000)) }
}
