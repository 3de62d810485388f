import ArgumentParser
import ConcordServer
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
            To add a member: `etcdctl member add n4 --peer-urls=http://host:port`, then
            start it with the printed ETCD_INITIAL_CLUSTER as --initial-cluster and
            --initial-cluster-state existing.
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

    @Option(name: .customLong("max-request-bytes"), help: "The largest client request accepted, in bytes.")
    var maxRequestBytes: Int = 1_572_864

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

    func run() async throws {
        let configuration = try makeConfiguration()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "concord.server")
        let service = ServerService(configuration: configuration, logger: logger) { node in
            print("concord server \(node.configuration.name) serving clients on \(node.configuration.clientListen)")
            fflush(nil)
        }
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    func makeConfiguration() throws -> NodeConfiguration {
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
            configuration.requestBytesMax = maxRequestBytes
            configuration.snapshotEveryEntries = snapshotCount
            configuration.tickMilliseconds = heartbeatInterval
            configuration.requestTimeoutMilliseconds = requestTimeout
            guard heartbeatInterval > 0, electionTimeout >= 2 * heartbeatInterval else {
                throw ServerConfigurationError.invalid("--election-timeout must be at least twice --heartbeat-interval")
            }
            configuration.electionTimeoutTicks = electionTimeout / heartbeatInterval
            let problems = configuration.problems
            guard problems.isEmpty else { throw ServerConfigurationError.invalid(problems.joined(separator: "; ")) }
            return configuration
        } catch let error as ServerConfigurationError {
            throw ValidationError(error.description)
        }
    }

    /// Concord listens on one URL per purpose; the first of a list is used.
    private func firstURL(_ list: String) -> String {
        String(list.split(separator: ",").first ?? "")
    }
}
