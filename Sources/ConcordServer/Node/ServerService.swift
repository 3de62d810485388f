import ConcordDynamo
import ConcordRedis
import ConcordServerCore
import ConcordTransport
import GRPCCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

/// One Concord node as a swift-service-lifecycle `Service`: opens the data
/// directory, binds every listener, joins the peers, serves etcd's API over
/// gRPC (HTTP/2, plaintext or TLS) and, when configured, `/metrics` and
/// `/health` over HTTP.
///
/// Start: the data directory is opened, then the client, metrics and peer
/// listeners bind, in that order, before the node sends or answers any
/// peer message. A listener that cannot bind stops the start with a
/// `ListenError` (nothing joined, everything bound so far closed).
///
/// Stop: on graceful shutdown (SIGINT or SIGTERM through a `ServiceGroup`)
/// the listener closes, each connection gets GOAWAY and closes once its
/// calls are answered, then the node stops and closes its files. Calls
/// still open after ``drainMillisecondsMax`` (a watch, a keep-alive stream)
/// are cut: their connections are closed and the node stops.
///
/// With TLS, the certificates are reloaded when their files change and on
/// SIGHUP; connections already open keep theirs.
public struct ServerService: Service {
    /// The node's settings.
    public let configuration: NodeConfiguration
    private let logger: Logger
    private let onReady: @Sendable (ConcordNode) -> Void

    /// How long a removed member keeps answering the calls in flight
    /// before it stops, in milliseconds.
    static let removedDrainMilliseconds = 1000
    /// How often the available store's ring is compared with the applied
    /// membership, in milliseconds.
    static let storeRingPollMilliseconds = 100

    /// The longest a graceful shutdown waits for calls in flight before it
    /// closes their connections, in milliseconds.
    public static let drainMillisecondsMax = 5000

    /// gRPC's allowance above the request limit for the message framing, as
    /// in etcd (512 KiB).
    public static let grpcOverheadBytes = 512 * 1024

    /// Creates the service.
    /// - Parameters:
    ///   - configuration: The node's settings.
    ///   - logger: Where the node logs.
    ///   - onReady: Called once every listener is bound and the node serves.
    public init(configuration: NodeConfiguration, logger: Logger, onReady: @escaping @Sendable (ConcordNode) -> Void = { _ in }) {
        self.configuration = configuration
        self.logger = logger
        self.onReady = onReady
    }

    /// Runs the node until graceful shutdown.
    /// - Throws: `ListenError` when a listener cannot bind, the node's
    ///   errors when its data directory cannot be used, and
    ///   `ServerError.removedFromCluster` once the member is removed.
    public func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let node = try ConcordNode(configuration: configuration, logger: logger)
        let kv = KVService(node: node)
        let transport = ConcordServerTransport(
            host: Self.listenHost(configuration.clientListen), port: configuration.clientListen.port, group: group,
            directMethods: kv.directMethods.merging(AuthService(node: node).directMethods) { kvMethod, _ in kvMethod },
            messageBytesMax: configuration.requestBytesMax + Self.grpcOverheadBytes,
            tls: configuration.clientTLS, concurrentStreamsMax: configuration.concurrentStreamsMax,
            connectionsMax: configuration.clientConnectionsMax,
            onConnectionRefused: { [metrics = node.metrics] in metrics.clientConnectionsRefused.increment() })
        var metricsServer: MetricsHTTPServer?
        var redis: (store: AvailableStore, listener: RedisListener)?
        var zooKeeper: ZooKeeperListener?
        do {
            // Every listener binds before the node talks to its peers: a
            // port in use stops the start here, before the node joins.
            try await transport.bind()
            if let endpoint = configuration.metricsListen {
                metricsServer = try await MetricsHTTPServer.start(
                    host: Self.listenHost(endpoint), port: endpoint.port, tls: endpoint.usesTLS ? configuration.clientTLS : nil,
                    group: group, metrics: node.metrics, health: { node.hasLeader })
                logger.info("serving metrics", metadata: ["url": "\(endpoint)/metrics"])
            }
            if let endpoint = configuration.redisListen {
                redis = try await startRedis(endpoint, node: node, group: group)
            }
            if let endpoint = configuration.zooKeeperListen {
                zooKeeper = try await ZooKeeperListener.bind(
                    address: Self.listenHost(endpoint), port: endpoint.port, group: group,
                    tls: endpoint.usesTLS ? configuration.clientTLS : nil, host: node, logger: logger)
            }
            try await node.start(group: group)
        } catch {
            logger.error("node failed to start", metadata: ["error": "\(error)"])
            transport.closeNow()
            await metricsServer?.close()
            await redis?.listener.close()
            await zooKeeper?.close()
            await node.stop()
            throw error
        }
        do {
            try await serve(node: node, kv: kv, transport: transport, redis: redis, zooKeeper: zooKeeper)
        } catch {
            logger.error("node failed", metadata: ["error": "\(error)"])
            transport.closeNow()
            await redis?.store.stop()
            await redis?.listener.close()
            await zooKeeper?.close()
            await node.stop()
            await metricsServer?.close()
            throw error
        }
        await redis?.store.stop()
        await redis?.listener.close()
        await zooKeeper?.close()
        await node.stop()
        await metricsServer?.close()
        if await node.isRemovedFromCluster { throw ServerError.removedFromCluster }
    }

    /// Binds the Redis listener and creates the member's available store,
    /// on a ring of the founding members (the applied membership replaces it
    /// once the node serves); the store starts (and its peer
    /// messages flow) once the node serves.
    private func startRedis(_ endpoint: Endpoint, node: ConcordNode, group: any EventLoopGroup) async throws
        -> (store: AvailableStore, listener: RedisListener)
    {
        var settings = RedisSettings()
        settings.infoLines = [
            "process_id:\(getpid())", "tcp_port:\(endpoint.port)", "concord_member:\(configuration.name)",
        ]
        settings.configuration["appendonly"] = "yes"
        settings.configuration["appendfsync"] = configuration.redisAppendFsync.rawValue
        let store = try AvailableStore(
            member: ConcordDynamo.MemberID(configuration.memberID), members: configuration.members.map { ConcordDynamo.MemberID($0.id) },
            dataDirectory: configuration.dataDirectory, appendFsync: configuration.redisAppendFsync,
            readsAskEveryReplica: configuration.redisReadEveryReplica, settings: settings, logger: logger,
            auth: node.appliedAuth, send: { [node] to, messages in node.sendStoreMessages(messages, to: to.rawValue) })
        // A deleted user's idle connections close without waiting for
        // their next command.
        node.appliedAuth.whenPublished { [weak store] in
            Task { await store?.authChanged() }
        }
        let listener = try await RedisListener.bind(
            host: Self.listenHost(endpoint), port: endpoint.port, group: group, tls: endpoint.usesTLS ? configuration.clientTLS : nil,
            store: store, logger: logger)
        return (store, listener)
    }

    private func serve(
        node: ConcordNode, kv: KVService, transport: ConcordServerTransport, redis: (store: AvailableStore, listener: RedisListener)?,
        zooKeeper: ZooKeeperListener?
    ) async throws {
        let server = GRPCServer(transport: transport, services: [
            kv, LeaseService(node: node), WatchService(node: node),
            MaintenanceService(node: node),
            ClusterService(node: node),
            LockService(node: node), ElectionService(node: node),
        ], interceptors: [TokenInterceptor()])
        let logger = self.logger
        let tls = [configuration.clientTLS, configuration.peerTLS].compactMap { $0 }
        let (shutdownRequests, requestShutdown) = AsyncStream<Void>.makeStream()
        logger.info("serving clients", metadata: ["url": "\(configuration.clientListen)"])
        let (storeMessages, deliverStoreMessage) = AsyncStream<IncomingStoreMessage>.makeStream()
        if redis != nil {
            await node.attachStore { deliverStoreMessage.yield($0) }
        }
        if let zooKeeper {
            logger.info("serving zookeeper clients", metadata: ["url": "\(configuration.zooKeeperListen!.usesTLS ? "zks" : "zk")://\(configuration.zooKeeperListen!.host):\(zooKeeper.port)"])
        }
        onReady(node)
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { tasks in
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
                    // The drain's bound: calls still open once it passes are cut.
                    for await _ in shutdownRequests {
                        try? await Task.sleep(for: .milliseconds(Self.drainMillisecondsMax))
                        if Task.isCancelled { return }
                        logger.warning(
                            "calls still open after the shutdown drain; closing their connections",
                            metadata: ["drain-ms": "\(Self.drainMillisecondsMax)"])
                        transport.closeNow()
                        await node.stop()
                        return
                    }
                }
                if let redis {
                    tasks.addTask {
                        for await incoming in storeMessages { await redis.store.receive(incoming.messages, from: incoming.from) }
                    }
                    tasks.addTask { [configuration] in
                        // The ring is the applied membership: a member that
                        // joins a running cluster learns it from the leader
                        // first. Until the store starts, connections wait in
                        // the listener's backlog.
                        var members = await node.storeRingMembers()
                        while members.isEmpty && !Task.isCancelled {
                            try? await Task.sleep(for: .milliseconds(Self.storeRingPollMilliseconds))
                            members = await node.storeRingMembers()
                        }
                        await redis.store.start(ringMembers: members.map { ConcordDynamo.MemberID($0) })
                        let scheme = configuration.redisListen!.usesTLS ? "rediss" : "redis"
                        logger.info(
                            "serving redis clients", metadata: ["url": "\(scheme)://\(configuration.redisListen!.host):\(redis.listener.port)"])
                        await withDiscardingTaskGroup { group in
                            group.addTask { await redis.listener.serve() }
                            group.addTask {
                                // Polled, so that changes applied from a
                                // snapshot or replayed at a restart count as
                                // those applied one by one.
                                while !Task.isCancelled {
                                    try? await Task.sleep(for: .milliseconds(Self.storeRingPollMilliseconds))
                                    let members = await node.storeRingMembers()
                                    await redis.store.changeRing(members: members.map { ConcordDynamo.MemberID($0) })
                                }
                            }
                        }
                    }
                }
                tasks.addTask {
                    // Free pages go back to the system (docs/server.md,
                    // "Memory and the allocator").
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(MemoryAllocator.trimIntervalSeconds))
                        if !Task.isCancelled { MemoryAllocator.trim() }
                    }
                }
                if let zooKeeper {
                    tasks.addTask { await zooKeeper.serve() }
                }
                for context in tls {
                    tasks.addTask { await context.watchFiles() }
                }
                if !tls.isEmpty {
                    tasks.addTask {
                        for await _ in await UnixSignalsSequence(trapping: .sighup) {
                            logger.info("SIGHUP: reloading TLS certificates")
                            for context in tls { context.reload() }
                        }
                    }
                }
                // Serves until the listener and every connection are closed;
                // the node stops then, which ends the removal watcher, and
                // the drain timer and the certificate watchers are cancelled.
                defer {
                    requestShutdown.finish()
                    tasks.cancelAll()
                }
                do {
                    try await server.serve()
                } catch {
                    await node.stop()
                    throw error
                }
                await node.stop()
            }
        } onGracefulShutdown: {
            logger.info("shutting down", metadata: ["drain-ms-max": "\(Self.drainMillisecondsMax)"])
            if let redis {
                Task {
                    await redis.store.stop()
                    await redis.listener.close()
                }
            }
            if let zooKeeper {
                // ZooKeeper clients move their sessions to another member.
                Task { await zooKeeper.close() }
            }
            server.beginGracefulShutdown()
            requestShutdown.yield()
        }
    }

    static func listenHost(_ endpoint: Endpoint) -> String {
        endpoint.host == "localhost" ? "127.0.0.1" : endpoint.host
    }
}
