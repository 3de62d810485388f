import ConcordServerCore
import GRPCCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// One Concord node as a swift-service-lifecycle `Service`: opens the data
/// directory, joins the peers, serves etcd's KV API over gRPC (HTTP/2,
/// plaintext) and, when configured, `/metrics` and `/health` over HTTP.
/// On graceful shutdown (SIGINT or SIGTERM through a `ServiceGroup`) it
/// stops accepting calls, lets calls in flight finish, then stops the node
/// and closes its files.
public struct ServerService: Service {
    /// The node's settings.
    public let configuration: NodeConfiguration
    private let logger: Logger
    private let onReady: @Sendable (ConcordNode) -> Void

    /// How long a removed member keeps answering the calls in flight
    /// before it stops, in milliseconds.
    static let removedDrainMilliseconds = 1000

    /// gRPC's allowance above the request limit for the message framing, as
    /// in etcd (512 KiB).
    public static let grpcOverheadBytes = 512 * 1024

    /// Creates the service.
    /// - Parameters:
    ///   - configuration: The node's settings.
    ///   - logger: Where the node logs.
    ///   - onReady: Called once every listener is bound.
    public init(configuration: NodeConfiguration, logger: Logger, onReady: @escaping @Sendable (ConcordNode) -> Void = { _ in }) {
        self.configuration = configuration
        self.logger = logger
        self.onReady = onReady
    }

    /// Runs the node until graceful shutdown.
    public func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let node = try ConcordNode(configuration: configuration, logger: logger)
        var metricsServer: MetricsHTTPServer?
        do {
            try await node.start(group: group)
            if let endpoint = configuration.metricsListen {
                metricsServer = try await MetricsHTTPServer.start(
                    host: endpoint.host, port: endpoint.port, group: group, metrics: node.metrics,
                    health: { node.hasLeader })
                logger.info("serving metrics", metadata: ["url": "\(endpoint)/metrics"])
            }
            let requestBytesMax = configuration.requestBytesMax
            let kv = KVService(node: node)
            let listen = Self.listenHost(configuration.clientListen)
            let transport = ConcordServerTransport(
                host: listen, port: configuration.clientListen.port, group: group,
                directMethods: kv.directMethods, messageBytesMax: requestBytesMax + Self.grpcOverheadBytes)
            let server = GRPCServer(transport: transport, services: [
                kv, LeaseService(node: node), WatchService(node: node),
                MaintenanceService(node: node),
                ClusterService(node: node),
                LockService(node: node), ElectionService(node: node),
            ])
            let logger = self.logger
            let clientURL = "\(configuration.clientListen)"
            let onReady = self.onReady
            try await withGracefulShutdownHandler {
                try await withThrowingDiscardingTaskGroup { tasks in
                    tasks.addTask {
                        try await server.serve()
                        await node.stop()
                    }
                    tasks.addTask {
                        // As etcd, a member removed from the cluster exits
                        // (below), once the calls in flight are answered.
                        guard await node.waitUntilRemoved() else { return }
                        server.beginGracefulShutdown()
                        // Calls that can no longer complete (writes, watches)
                        // end when the node stops.
                        try? await Task.sleep(for: .milliseconds(Self.removedDrainMilliseconds))
                        await node.stop()
                    }
                    tasks.addTask {
                        if (try? await transport.listeningAddress) != nil {
                            logger.info("serving clients", metadata: ["url": "\(clientURL)"])
                            onReady(node)
                        }
                    }
                }
            } onGracefulShutdown: {
                logger.info("shutting down")
                server.beginGracefulShutdown()
            }
            if await node.isRemovedFromCluster { throw ServerError.removedFromCluster }
        } catch {
            logger.error("node failed", metadata: ["error": "\(error)"])
            await node.stop()
            await metricsServer?.close()
            throw error
        }
        await node.stop()
        await metricsServer?.close()
    }

    static func listenHost(_ endpoint: Endpoint) -> String {
        endpoint.host == "localhost" ? "127.0.0.1" : endpoint.host
    }
}
