import ConcordServerCore
import ConcordTransport
import Synchronization

/// The cluster id a member that joins a running cluster learns from the
/// first valid message of a listed peer; shared by every copy of the
/// node's configuration.
final class AdoptedClusterID: Sendable {
    private let value = Atomic<UInt64>(0)

    /// The adopted id, 0 for none.
    func load() -> UInt64 { value.load(ordering: .acquiring) }

    /// Adopts `clusterID`.
    func store(_ clusterID: UInt64) { value.store(clusterID, ordering: .releasing) }
}

/// Everything one Concord node needs to start: who it is, where its data
/// lives, where it listens, and its timing and limits.
public struct NodeConfiguration: Sendable {
    /// Whether the node founds a new cluster or joins an existing one
    /// (etcd's `--initial-cluster-state`).
    public enum ClusterState: String, Sendable, Hashable {
        case new, existing
    }

    /// This member's name (`--name`).
    public var name: String
    /// The data directory (`--data-dir`).
    public var dataDirectory: String
    /// Where peers connect (`--listen-peer-urls`).
    public var peerListen: Endpoint
    /// Where clients connect (`--listen-client-urls`).
    public var clientListen: Endpoint
    /// Where Prometheus scrapes `/metrics` and probes `/health`
    /// (`--listen-metrics-urls`); nil for none.
    public var metricsListen: Endpoint?
    /// Where Redis clients connect (`--listen-redis-urls`); nil for none.
    /// `rediss://` serves TLS with the client listener's settings
    /// (`clientTLS`), reloaded with them.
    /// The member then runs the available store (docs/redis.md), on a ring
    /// of the founding members of `--initial-cluster`: every member of the
    /// cluster must listen for Redis clients too.
    public var redisListen: Endpoint?
    /// Where ZooKeeper clients connect (`--listen-zookeeper-urls`,
    /// `zk://host:port`, or `zks://host:port` for TLS with the client
    /// listener's settings, reloaded with them); nil for none. The member then serves ZooKeeper's
    /// protocol from the same Raft group (docs/zookeeper.md); sessions move
    /// between the members that listen.
    public var zooKeeperListen: Endpoint?
    /// When the available store syncs its write-ahead log
    /// (`--redis-appendfsync`; Redis's default, `everysec`).
    public var redisAppendFsync = AppendFsync.default
    /// Whether the available store's reads ask all N replicas and repair
    /// the stale ones (`--redis-read-every-replica`); by default a read
    /// asks R of them, the coordinator's own copy first.
    public var redisReadEveryReplica = false
    /// Every founding member, this one included (`--initial-cluster`).
    public var members: [ClusterMember]
    /// `--initial-cluster-state`.
    public var clusterState: ClusterState = .new
    /// The replication engine (`--consensus`). Every member of a cluster
    /// runs the same one; the data directory records it at the first start
    /// and refuses the other engine afterwards.
    public var consensus: ConsensusEngineKind = .raft
    /// TLS for the client listener, and for the metrics listener when its
    /// URL is https (`--cert-file`, `--key-file`, `--trusted-ca-file`,
    /// `--client-cert-auth`); nil for plaintext.
    public var clientTLS: ReloadingTLSContext?
    /// TLS for every peer connection, accepted and dialled (`--peer-cert-file`,
    /// `--peer-key-file`, `--peer-trusted-ca-file`, `--peer-client-cert-auth`);
    /// nil for plaintext.
    public var peerTLS: ReloadingTLSContext?
    /// JWT tokens (`--auth-token jwt,…`); nil for etcd's simple tokens,
    /// the default.
    public var jwtTokens: JWTTokens?

    /// The wall-clock length of one Raft tick, in milliseconds.
    public var tickMilliseconds: Int = 50
    /// The election timeout, in ticks (the node campaigns after a random
    /// number of ticks in [this, twice this) without a leader).
    public var electionTimeoutTicks: Int = 10
    /// The heartbeat interval, in ticks.
    public var heartbeatIntervalTicks: Int = 1
    /// The election timeout in milliseconds.
    public var electionTimeoutMilliseconds: Int { electionTimeoutTicks * tickMilliseconds }
    /// The shortest lease TTL granted, in seconds: as in etcd, shorter TTLs
    /// are raised to ceil(1.5 × election timeout), at least 1 s.
    public var leaseTTLSecondsMin: Int64 { Int64(max(1, (3 * electionTimeoutMilliseconds + 1999) / 2000)) }
    /// How long a client waits for its write or linearizable read before
    /// getting etcd's "request timed out", in milliseconds.
    public var requestTimeoutMilliseconds: Int = 5000
    /// A snapshot of the store is taken (and the log before it discarded)
    /// every time this many entries have been applied since the last one.
    public var snapshotEveryEntries: UInt64 = 100_000
    /// The largest request accepted, in bytes (etcd's `--max-request-bytes`).
    public var requestBytesMax: Int = 1_572_864
    /// The most HTTP/2 streams one client connection may have open at once
    /// (etcd's `--max-concurrent-streams`; Concord's default is 4096 where
    /// etcd's is 2^32-1, see docs/server.md).
    public var concurrentStreamsMax: Int = 4096
    /// The most client connections open at once (`--max-client-connections`,
    /// Concord's own); one more is closed when it is accepted.
    public var clientConnectionsMax: Int = 10_000
    /// The most watchers one watch stream may hold (`--max-watchers-per-stream`,
    /// Concord's own).
    public var watchersPerStreamMax: Int = 10_000
    /// The most revisions a watcher whose consumer fell behind may lag
    /// before it is cancelled (`--max-watch-lag-revisions`, Concord's own).
    public var watchLagRevisionsMax: Int64 = 100_000

    /// Creates a configuration.
    public init(
        name: String, dataDirectory: String, peerListen: Endpoint, clientListen: Endpoint,
        metricsListen: Endpoint? = nil, members: [ClusterMember], clusterState: ClusterState = .new
    ) {
        self.name = name
        self.dataDirectory = dataDirectory
        self.peerListen = peerListen
        self.clientListen = clientListen
        self.metricsListen = metricsListen
        self.members = members
        self.clusterState = clusterState
    }

    /// This member's id: the hash of its name for a founding member; for a
    /// member that joined a running cluster, the id derived from its peer
    /// URL when it was added (set by `ConcordNode` from the data directory).
    public var memberID: UInt64 { joinedMemberID ?? ClusterMember.id(forName: name) }
    /// The cluster's id: the hash of the founding members' ids, or the id a
    /// joining member adopted from the cluster.
    public var clusterID: UInt64 {
        let adopted = adoptedClusterID.load()
        return adopted != 0 ? adopted : ClusterMember.clusterID(of: members)
    }
    /// Set for a member that joined a running cluster (see `memberID`).
    var joinedMemberID: UInt64?
    /// The cluster id a joining member adopted (0: not yet, or founding).
    let adoptedClusterID = AdoptedClusterID()

    /// Whether this member joined a running cluster rather than founding it.
    var joinedRunningCluster: Bool { joinedMemberID != nil }

    /// This member's entry in `--initial-cluster`.
    var ownMember: ClusterMember? { members.first { $0.name == name } }

    /// The mistakes in this configuration; empty when it is usable.
    public var problems: [String] {
        var problems: [String] = []
        if name.isEmpty { problems.append("--name must not be empty") }
        if !members.contains(where: { $0.name == name }) {
            problems.append("--initial-cluster does not name this member '\(name)'")
        }
        if Set(members.map(\.id)).count != members.count { problems.append("two member names hash to one id; rename one") }
        if dataDirectory.isEmpty { problems.append("--data-dir must not be empty") }
        if tickMilliseconds < 1 { problems.append("the tick must be at least 1 ms") }
        if requestBytesMax < 1 { problems.append("--max-request-bytes must be positive") }
        if !(1...Int(UInt32.max)).contains(concurrentStreamsMax) {
            problems.append("--max-concurrent-streams must be between 1 and 4294967295")
        }
        if clientConnectionsMax < 1 { problems.append("--max-client-connections must be positive") }
        if watchersPerStreamMax < 1 { problems.append("--max-watchers-per-stream must be positive") }
        if watchLagRevisionsMax < 1 { problems.append("--max-watch-lag-revisions must be positive") }
        if snapshotEveryEntries < 1 { problems.append("--snapshot-count must be positive") }
        if consensus == .multiPaxos && clusterState == .existing {
            problems.append(
                "--initial-cluster-state existing cannot be used with --consensus multi-paxos: a Multi-Paxos cluster's replicas are fixed")
        }
        problems += tlsProblems
        return problems
    }

    /// The mismatches between URL schemes and TLS settings, worded as etcd
    /// words them: an https URL needs a certificate and key, and a
    /// certificate given for plaintext URLs is a mistake rather than
    /// something to ignore.
    var tlsProblems: [String] {
        var problems: [String] = []
        if clientListen.usesTLS && clientTLS == nil {
            problems.append("TLS key/cert (--cert-file, --key-file) must be provided for client url \(clientListen) with HTTPS scheme")
        }
        if !clientListen.usesTLS && clientTLS != nil {
            problems.append("--cert-file and --key-file are given but --listen-client-urls \(clientListen) is not https://")
        }
        if let metricsListen, metricsListen.usesTLS && clientTLS == nil {
            problems.append("TLS key/cert (--cert-file, --key-file) must be provided for metrics url \(metricsListen) with HTTPS scheme")
        }
        if let redisListen, redisListen.usesTLS && clientTLS == nil {
            problems.append(
                "TLS key/cert (--cert-file, --key-file) must be provided for redis url rediss://\(redisListen.host):\(redisListen.port)")
        }
        if let zooKeeperListen, zooKeeperListen.usesTLS && clientTLS == nil {
            problems.append("TLS key/cert (--cert-file, --key-file) must be provided for zookeeper url \(zooKeeperListen.zooKeeperURL)")
        }
        if peerListen.usesTLS && peerTLS == nil {
            problems.append("TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url \(peerListen) with HTTPS scheme")
        }
        if !peerListen.usesTLS && peerTLS != nil {
            problems.append("--peer-cert-file and --peer-key-file are given but --listen-peer-urls \(peerListen) is not https://")
        }
        for member in members where member.peerUsesTLS != peerListen.usesTLS {
            problems.append(
                "--initial-cluster: member \(member.name)'s peer URL \(member.peerURL) must use \(peerListen.usesTLS ? "https" : "http")://"
                    + " as --listen-peer-urls does (peers speak TLS to every member or to none)")
        }
        return problems
    }
}

extension ConsensusEngineKind {
    /// The engine a command-line flag names.
    /// - Throws: `ServerConfigurationError` listing the engines for any other value.
    public static func parse(flag value: String) throws(ServerConfigurationError) -> ConsensusEngineKind {
        guard let engine = ConsensusEngineKind(rawValue: value) else {
            let names = allCases.map(\.rawValue).joined(separator: " or ")
            throw .invalid("--consensus must be \(names), not '\(value)'")
        }
        return engine
    }
}
