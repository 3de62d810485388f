import ArgumentParser
import ConcordServer
import ConcordServerCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// `concord dev`: a whole three-node cluster on loopback in one process,
/// with its data under ./.concord/, serving etcd's API and the Redis
/// protocol (ports 6379, 6389, 6399) and ZooKeeper's (ports 2181, 2182,
/// 2183). Real sockets and real files: the three
/// nodes talk to each other over TCP exactly as three `concord server`
/// processes would. Ctrl-C stops it cleanly; running it again resumes from
/// the data on disk.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run a local three-node Concord cluster on loopback (data under ./.concord/)."
    )

    @Option(name: .customLong("data-dir"), help: "Where the three nodes keep their data.")
    var dataDir: String = ".concord"

    @Option(name: .customLong("base-port"), help: "Node i (0, 1, 2) serves clients on base+10i, peers on base+10i+1, metrics on base+10i+2.")
    var basePort: Int = 2379

    @Option(name: .customLong("redis-base-port"), help: "Node i (0, 1, 2) serves Redis clients on base+10i.")
    var redisBasePort: Int = 6379

    @Option(name: .customLong("zookeeper-base-port"), help: "Node i (0, 1, 2) serves ZooKeeper clients on base+i.")
    var zooKeeperBasePort: Int = 2181

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "warning"

    @Option(
        name: .customLong("consensus"),
        help: "The replication engine, raft or multi-paxos; the data directory keeps the one that wrote it.")
    var consensus: String = "raft"

    func validate() throws {
        do {
            _ = try ConsensusEngineKind.parse(flag: consensus)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        MemoryAllocator.configure(environment: ProcessInfo.processInfo.environment)
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let engine = try ConsensusEngineKind.parse(flag: consensus)
        let names = ["node1", "node2", "node3"]
        let members = names.enumerated().map { index, name in
            ClusterMember(name: name, peerHost: "127.0.0.1", peerPort: basePort + 10 * index + 1)
        }
        let logger = Logger(label: "concord.dev")
        let ready = Mutex(0)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var endpoints: [String] = []
        for (index, name) in names.enumerated() {
            var configuration = NodeConfiguration(
                name: name, dataDirectory: "\(dataDir)/\(name)",
                peerListen: Endpoint(host: "127.0.0.1", port: basePort + 10 * index + 1),
                clientListen: Endpoint(host: "127.0.0.1", port: basePort + 10 * index),
                metricsListen: Endpoint(host: "127.0.0.1", port: basePort + 10 * index + 2),
                members: members)
            configuration.consensus = engine
            configuration.redisListen = Endpoint(host: "127.0.0.1", port: redisBasePort + 10 * index)
            configuration.zooKeeperListen = Endpoint(host: "127.0.0.1", port: zooKeeperBasePort + index)
            endpoints.append("127.0.0.1:\(basePort + 10 * index)")
            let allEndpoints = names.indices.map { "127.0.0.1:\(basePort + 10 * $0)" }.joined(separator: ",")
            let metricsURL = "http://127.0.0.1:\(basePort + 2)/metrics"
            let redisEndpoints = names.indices.map { "127.0.0.1:\(redisBasePort + 10 * $0)" }.joined(separator: ", ")
            let redisPort = redisBasePort
            let zooKeeperHosts = names.indices.map { "127.0.0.1:\(zooKeeperBasePort + $0)" }.joined(separator: ",")
            let dataDir = self.dataDir
            let service = ServerService(configuration: configuration, logger: logger) { _ in
                let count = ready.withLock { count -> Int in
                    count += 1
                    return count
                }
                guard count == names.count else { return }
                print(
                    """
                    Concord dev cluster: 3 nodes on loopback (\(engine)), data in \(dataDir)/
                      endpoints: \(allEndpoints)
                      redis:     \(redisEndpoints) (the available store, QUORUM by default)
                      zookeeper: \(zooKeeperHosts) (kazoo, zkCli, Curator)
                      metrics:   \(metricsURL) (and /health)
                      try:       ETCDCTL_API=3 etcdctl --endpoints=\(allEndpoints) put greeting hello
                                 ETCDCTL_API=3 etcdctl --endpoints=\(allEndpoints) get greeting
                                 redis-cli -p \(redisPort) set greeting hello
                                 redis-cli -p \(redisPort + 10) get greeting
                                 /usr/share/zookeeper/bin/zkCli.sh -server \(zooKeeperHosts) create /greeting hello
                                 python3 -c 'from kazoo.client import KazooClient as K; z = K("\(zooKeeperHosts)"); z.start(); print(z.get("/greeting")[0])'
                    Press Ctrl-C to stop; run again to resume from disk.
                    """)
                fflush(nil)
            }
            services.append(.init(service: service))
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        print("Concord dev cluster stopped.")
        fflush(nil)
    }
}
