import ArgumentParser
import ConcordServer
import ConcordServerCore
import ConcordTransport
import Foundation
import Logging
import ServiceLifecycle

/// `concord server`: one node of a Concord cluster, serving etcd's v3 KV API.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run one node of a Concord cluster (etcd v3 KV API over gRPC).",
        discussion: """
            Flags are named as etcd names them. Example, one of three nodes:
              concord server --name n1 --data-dir /var/lib/concord/n1 \\
                --listen-peer-urls http://127.0.0.1:2380 --listen-client-urls http://127.0.0.1:2379 \\
                --initial-cluster n1=http://127.0.0.1:2380,n2=http://127.0.0.1:2480,n3=http://127.0.0.1:2580
            A node restarted on its data directory resumes where it was.
            TLS: https:// URLs with --cert-file/--key-file (clients, and metrics when its URL
            is https) and --peer-cert-file/--peer-key-file (peers); --client-cert-auth and
            --peer-client-cert-auth require certificates signed by the trusted CA files.
            Certificates are reloaded when their files change and on SIGHUP.
            A listener that cannot bind stops the process at start with a non-zero exit.
            SIGTERM or SIGINT stops it: calls in flight get up to 5 s, and the process
            exits within 10 s of the signal whatever it was doing.
            To add a member: `etcdctl member add n4 --peer-urls=http://host:port`, then
            start it with the printed ETCD_INITIAL_CLUSTER as --initial-cluster and
            --initial-cluster-state existing.
            --consensus multi-paxos runs the same etcd API on Multi-Paxos instead of Raft
            (every member must use the same engine; its replicas are fixed: member add,
            remove and promote are refused). The data directory records its engine at
            the first start and refuses the other one afterwards.
            """
    )

    @Option(help: "This member's name; must appear in --initial-cluster.")
    var name: String

    @Option(name: .customLong("data-dir"), help: "The data directory (created if absent).")
    var dataDir: String

    @Option(name: .customLong("listen-peer-urls"), help: "Where peers connect, http://host:port.")
    var listenPeerURLs: String

    @Option(name: .customLong("listen-client-urls"), help: "Where clients connect (gRPC), http://host:port.")
    var listenClientURLs: String

    @Option(
        name: .customLong("initial-cluster"),
        help: "Every founding member (or, to join, every member and this one): name=http://host:port,...")
    var initialCluster: String

    @Option(
        name: .customLong("initial-cluster-state"),
        help: "new (found the cluster) or existing (join a running cluster that added this member).")
    var initialClusterState: String = "new"

    @Option(name: .customLong("listen-metrics-urls"), help: "Where /metrics and /health are served, http://host:port.")
    var listenMetricsURLs: String?

    @Option(
        name: .customLong("listen-redis-urls"),
        help: "Where Redis clients connect (RESP2/RESP3), redis://host:port, or rediss://host:port for TLS with the client TLS flags; off unless given. Every member must give it.")
    var listenRedisURLs: String?

    @Option(
        name: .customLong("listen-zookeeper-urls"),
        help: "Where ZooKeeper clients connect (kazoo, zkCli, Curator), zk://host:port, or zks://host:port for TLS with the client TLS flags; off unless given. Give it on every member: sessions move between them.")
    var listenZooKeeperURLs: String?

    @Option(
        name: .customLong("redis-appendfsync"),
        help: "When the available store syncs its log: always (before acknowledging), everysec (once a second), no (the OS decides).")
    var redisAppendFsync: String = AppendFsync.default.rawValue

    @Flag(
        name: .customLong("redis-read-every-replica"),
        help: "Reads ask all N replicas of a key and repair the stale ones (Riak's way); by default a read asks R of them, the coordinator's own copy first, and anti-entropy converges the rest.")
    var redisReadEveryReplica = false

    @Option(name: .customLong("max-request-bytes"), help: "The largest client request accepted, in bytes.")
    var maxRequestBytes: Int = 1_572_864

    @Option(
        name: .customLong("max-concurrent-streams"),
        help: "The most gRPC (HTTP/2) streams one client connection may have open; more are refused with REFUSED_STREAM.")
    var maxConcurrentStreams: Int = 4096

    @Option(
        name: .customLong("max-client-connections"),
        help: "Concord's own: the most client connections open at once; one more is closed when accepted.")
    var maxClientConnections: Int = 10_000

    @Option(
        name: .customLong("max-watchers-per-stream"),
        help: "Concord's own: the most watchers one watch stream may hold; one more create is answered canceled.")
    var maxWatchersPerStream: Int = 10_000

    @Option(
        name: .customLong("max-watch-lag-revisions"),
        help: "Concord's own: how many revisions a watcher whose client stopped reading may lag before it is canceled.")
    var maxWatchLagRevisions: Int64 = 100_000

    @Option(name: .customLong("snapshot-count"), help: "Applied entries between snapshots of the store.")
    var snapshotCount: UInt64 = 100_000

    @Option(name: .customLong("heartbeat-interval"), help: "Milliseconds between leader heartbeats (one Raft tick).")
    var heartbeatInterval: Int = 50

    @Option(name: .customLong("election-timeout"), help: "Milliseconds without a leader before an election.")
    var electionTimeout: Int = 500

    @Option(name: .customLong("request-timeout"), help: "Milliseconds a client waits for a write or linearizable read.")
    var requestTimeout: Int = 5000

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(
        name: .customLong("consensus"),
        help: "The replication engine, raft or multi-paxos; every member runs the same one, and a data directory keeps the one that wrote it.")
    var consensus: String = "raft"

    @Option(name: .customLong("cert-file"), help: "The client listener's TLS certificate (PEM).")
    var certFile: String?

    @Option(name: .customLong("key-file"), help: "The key of --cert-file (PEM).")
    var keyFile: String?

    @Option(name: .customLong("trusted-ca-file"), help: "The CA certificates that sign client certificates (PEM).")
    var trustedCAFile: String?

    @Flag(name: .customLong("client-cert-auth"), help: "Require client certificates signed by --trusted-ca-file.")
    var clientCertAuth = false

    @Option(name: .customLong("peer-cert-file"), help: "This member's TLS certificate on peer links (PEM).")
    var peerCertFile: String?

    @Option(name: .customLong("peer-key-file"), help: "The key of --peer-cert-file (PEM).")
    var peerKeyFile: String?

    @Option(name: .customLong("peer-trusted-ca-file"), help: "The CA certificates that sign members' certificates (PEM).")
    var peerTrustedCAFile: String?

    @Flag(name: .customLong("peer-client-cert-auth"), help: "Refuse peers without a certificate signed by --peer-trusted-ca-file.")
    var peerClientCertAuth = false

    @Option(
        name: .customLong("auth-token"),
        help: "simple (the default), or jwt,pub-key=PATH,priv-key=PATH,sign-method=ES256|RS256[,ttl=5m] as etcd spells it.")
    var authToken = "simple"

    func run() async throws {
        let allocatorSettings = MemoryAllocator.configure(environment: ProcessInfo.processInfo.environment)
        ShutdownWatchdog.start(command: "concord server")
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "concord.server")
        logger.debug("allocator settings", metadata: ["applied": "\(allocatorSettings.map(\.description).joined(separator: " "))"])
        let configuration: NodeConfiguration
        do {
            configuration = try makeConfiguration(logger: logger)
        } catch let error as TLSLoadError {
            Self.fail(error.description)
        }
        let service = ServerService(configuration: configuration, logger: logger) { node in
            print("concord server \(node.configuration.name) serving clients on \(node.configuration.clientListen)")
            if let redis = node.configuration.redisListen {
                let scheme = redis.usesTLS ? "rediss" : "redis"
                print("concord server \(node.configuration.name) serving redis clients on \(scheme)://\(redis.host):\(redis.port)")
            }
            if let zooKeeper = node.configuration.zooKeeperListen {
                print("concord server \(node.configuration.name) serving zookeeper clients on \(zooKeeper.zooKeeperURL)")
            }
            fflush(nil)
        }
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            Self.fail("\(error)")
        }
    }

    /// Writes `message` to standard error and exits with status 1.
    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("concord server: \(message)\n".utf8))
        Foundation.exit(1)
    }

    /// The TLS files of one side, from its four flags.
    private static func tlsFiles(
        certificate: String?, key: String?, trustedCA: String?, clientCertificateRequired: Bool, prefix: String
    ) throws(ServerConfigurationError) -> TLSFiles? {
        switch (certificate, key) {
        case (nil, nil):
            if trustedCA != nil || clientCertificateRequired {
                throw .invalid("--\(prefix)trusted-ca-file and --\(prefix)client-cert-auth need --\(prefix)cert-file and --\(prefix)key-file")
            }
            return nil
        case (let certificate?, let key?):
            return TLSFiles(
                certificateFile: certificate, keyFile: key, trustedCAFile: trustedCA, clientCertificateRequired: clientCertificateRequired)
        default:
            throw .invalid("--\(prefix)cert-file and --\(prefix)key-file must be given together")
        }
    }

    func makeConfiguration(logger: Logger) throws -> NodeConfiguration {
        do {
            guard let state = NodeConfiguration.ClusterState(rawValue: initialClusterState) else {
                throw ServerConfigurationError.invalid("--initial-cluster-state must be new or existing")
            }
            var configuration = NodeConfiguration(
                name: name, dataDirectory: dataDir,
                peerListen: try Endpoint.parse(firstURL(listenPeerURLs), flag: "--listen-peer-urls"),
                clientListen: try Endpoint.parse(firstURL(listenClientURLs), flag: "--listen-client-urls"),
                metricsListen: try listenMetricsURLs.map { try Endpoint.parse(firstURL($0), flag: "--listen-metrics-urls") },
                members: try ClusterMember.parseCluster(initialCluster), clusterState: state)
            configuration.consensus = try ConsensusEngineKind.parse(flag: consensus)
            configuration.redisListen = try listenRedisURLs.map { try Self.redisEndpoint(firstURL($0)) }
            configuration.redisAppendFsync = try AppendFsync.parse(redisAppendFsync)
            configuration.redisReadEveryReplica = redisReadEveryReplica
            configuration.zooKeeperListen = try listenZooKeeperURLs.map { try Endpoint.parseZooKeeper(firstURL($0)) }
            configuration.requestBytesMax = maxRequestBytes
            configuration.concurrentStreamsMax = maxConcurrentStreams
            configuration.clientConnectionsMax = maxClientConnections
            configuration.watchersPerStreamMax = maxWatchersPerStream
            configuration.watchLagRevisionsMax = maxWatchLagRevisions
            configuration.snapshotEveryEntries = snapshotCount
            configuration.tickMilliseconds = heartbeatInterval
            configuration.requestTimeoutMilliseconds = requestTimeout
            guard heartbeatInterval > 0, electionTimeout >= 2 * heartbeatInterval else {
                throw ServerConfigurationError.invalid("--election-timeout must be at least twice --heartbeat-interval")
            }
            configuration.electionTimeoutTicks = electionTimeout / heartbeatInterval
            if let options = try JWTTokens.parseOption(authToken) { configuration.jwtTokens = try JWTTokens(options) }
            if let files = try Self.tlsFiles(
                certificate: certFile, key: keyFile, trustedCA: trustedCAFile, clientCertificateRequired: clientCertAuth, prefix: "")
            {
                configuration.clientTLS = try ReloadingTLSContext(files: files, logger: logger)
            }
            if let files = try Self.tlsFiles(
                certificate: peerCertFile, key: peerKeyFile, trustedCA: peerTrustedCAFile,
                clientCertificateRequired: peerClientCertAuth, prefix: "peer-")
            {
                configuration.peerTLS = try ReloadingTLSContext(files: files, logger: logger)
            }
            let problems = configuration.problems
            guard problems.isEmpty else { throw ServerConfigurationError.invalid(problems.joined(separator: "; ")) }
            return configuration
        } catch let error as ServerConfigurationError {
            throw ValidationError(error.description)
        }
    }

    /// `redis://host:port`, `host:port`, or `rediss://host:port` for TLS.
    private static func redisEndpoint(_ text: String) throws(ServerConfigurationError) -> Endpoint {
        let usesTLS = text.hasPrefix("rediss://")
        let plain =
            usesTLS
            ? String(text.dropFirst("rediss://".count))
            : text.hasPrefix("redis://") ? String(text.dropFirst("redis://".count)) : text
        guard !plain.contains("://") else {
            throw .invalid("--listen-redis-urls: '\(text)' must be redis://host:port or rediss://host:port")
        }
        let endpoint = try Endpoint.parse(plain, flag: "--listen-redis-urls")
        return Endpoint(host: endpoint.host, port: endpoint.port, usesTLS: usesTLS)
    }

    /// Concord listens on one URL per purpose; the first of a list is used.
    private func firstURL(_ list: String) -> String {
        String(list.split(separator: ",").first ?? "")
    }
}
