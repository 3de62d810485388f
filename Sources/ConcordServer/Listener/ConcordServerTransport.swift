import ConcordTransport
import GRPCCore
import NIOCore
import NIOHTTP2
import NIOPosix
import Synchronization

/// The client listener: gRPC over HTTP/2 (plaintext, or TLS with ALPN `h2`)
/// on SwiftNIO, with one `GRPCConnectionHandler` per connection.
///
/// The listener binds in ``bind()``, before the node joins its cluster, and
/// accepts connections only once ``listen(streamHandler:)`` runs: a port in
/// use stops the node at start, and no client is accepted before the node
/// can answer.
///
/// etcd's unary KV calls (`directMethods`) are answered by the connection
/// handler itself; every other call (watch, lease keep-alive, lock,
/// election, cluster, maintenance) goes to `GRPCServer` through this type's
/// `ServerTransport` conformance. docs/server.md explains why: grpc-swift's
/// own transport gives each call a child channel and a tree of tasks and
/// async sequences, which cost more CPU per call than the work behind a
/// range or a put.
final class ConcordServerTransport: ServerTransport {
    typealias Bytes = [UInt8]

    private let host: String
    private let port: Int
    private let group: any EventLoopGroup
    private let tls: ReloadingTLSContext?
    private let configuration: GRPCConnectionHandler.Configuration
    private let bound: EventLoopPromise<SocketAddress>
    private let state = Mutex(State())
    private let events: AsyncStream<ListenerEvent>
    private let sink: AsyncStream<ListenerEvent>.Continuation
    private let connectionsMax: Int
    private let onConnectionRefused: @Sendable () -> Void

    private struct State {
        var serverChannel: (any Channel)?
        var connections: [ObjectIdentifier: NIOLoopBound<GRPCConnectionHandler>] = [:]
        /// Connections accepted and not closed, including those whose
        /// handlers are not registered yet.
        var admitted = 0
        var shuttingDown = false
    }

    /// - Parameters:
    ///   - directMethods: Unary methods answered on the connection, by path
    ///     (`/package.Service/Method`).
    ///   - messageBytesMax: The largest request message accepted.
    ///   - tls: TLS for every connection; nil for plaintext.
    ///   - concurrentStreamsMax: The most streams one connection may have
    ///     open (etcd's `--max-concurrent-streams`).
    ///   - connectionsMax: The most client connections open at once; one
    ///     more is closed as soon as it is accepted.
    ///   - onConnectionRefused: Called for each connection closed because
    ///     of `connectionsMax` (for metrics).
    init(
        host: String, port: Int, group: any EventLoopGroup, directMethods: [String: DirectUnaryMethod], messageBytesMax: Int,
        tls: ReloadingTLSContext? = nil, concurrentStreamsMax: Int = 4096, connectionsMax: Int = .max,
        onConnectionRefused: @escaping @Sendable () -> Void = {}
    ) {
        precondition(concurrentStreamsMax >= 1 && concurrentStreamsMax <= Int(UInt32.max), "an HTTP/2 stream limit is in 1...2^32-1")
        precondition(connectionsMax >= 1, "at least one connection")
        self.host = host
        self.port = port
        self.group = group
        self.tls = tls
        self.connectionsMax = connectionsMax
        self.onConnectionRefused = onConnectionRefused
        (events, sink) = AsyncStream<ListenerEvent>.makeStream()
        self.configuration = .init(
            directMethods: directMethods, messageBytesMax: messageBytesMax,
            connectionWindowBytes: 8 * 1024 * 1024, streamWindowBytes: 1024 * 1024, concurrentStreamsMax: concurrentStreamsMax,
            certificateNamesUser: tls?.files.clientCertificateRequired ?? false)
        self.bound = group.any().makePromise()
    }

    deinit {
        bound.fail(RPCError(code: .unavailable, message: "transport never listened"))
    }

    /// The address the listener is bound to, once it is.
    var listeningAddress: SocketAddress {
        get async throws { try await bound.futureResult.get() }
    }

    /// The URL listened on, for messages.
    var url: String { "\(tls == nil ? "http" : "https")://\(host):\(port)" }

    /// Binds the listening socket without accepting connections yet.
    /// - Returns: The address bound.
    /// - Throws: `ListenError` when the address cannot be bound.
    @discardableResult
    func bind() async throws -> SocketAddress {
        if let channel = state.withLock({ $0.serverChannel }), let address = channel.localAddress { return address }
        let configuration = self.configuration
        let sink = self.sink
        let tls = self.tls
        let forward: @Sendable (ForwardedCall) -> Bool = { call in
            if case .enqueued = sink.yield(.call(call)) { return true }
            return false
        }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let self, self.admit(channel) else {
                        // Over the connection limit: closed at once, before
                        // any TLS or HTTP/2 byte; open connections go on.
                        channel.close(promise: nil)
                        return
                    }
                    guard case .enqueued = sink.yield(.connection(channel)) else {
                        throw RPCError(code: .unavailable, message: "server is shutting down")
                    }
                    let handler = GRPCConnectionHandler(configuration: configuration, eventLoop: channel.eventLoop, forward: forward)
                    let sync = channel.pipeline.syncOperations
                    if let tls { try sync.addHandler(tls.makeServerHandler(applicationProtocols: ["h2"])) }
                    try sync.addHandler(ConcurrentStreamsAdvertiser(advertised: UInt32(configuration.concurrentStreamsMax)))
                    try sync.addHandler(NIOHTTP2Handler(mode: .server, initialSettings: GRPCConnectionHandler.settings(configuration)))
                    try sync.addHandler(handler)
                    self.register(channel, handler)
                }
            }
        let serverChannel: any Channel
        do {
            serverChannel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            let failure = ListenError(purpose: "clients", url: url, host: host, port: port, error: error)
            bound.fail(failure)
            sink.finish()
            throw failure
        }
        let stopNow = state.withLock { state in
            state.serverChannel = serverChannel
            return state.shuttingDown
        }
        if stopNow { serverChannel.close(promise: nil) }
        serverChannel.closeFuture.whenComplete { [sink] _ in sink.finish() }
        let address = try serverChannel.localAddress ?? SocketAddress(ipAddress: "0.0.0.0", port: port)
        bound.succeed(address)
        return address
    }

    /// Accepts connections (binding first if ``bind()`` has not run) and
    /// serves until the listener is closed and every connection it accepted
    /// has closed, as grpc-swift's own transport does.
    func listen(streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void) async throws {
        try await bind()
        if let serverChannel = state.withLock({ $0.serverChannel }) {
            try? await serverChannel.setOption(ChannelOptions.autoRead, value: true).get()
        }
        await withDiscardingTaskGroup { group in
            for await event in events {
                switch event {
                case .call(let call):
                    group.addTask {
                        await RequestCredentials.$certificateUser.withValue(call.certificateUser) {
                            await streamHandler(call.stream, call.context)
                        }
                    }
                case .connection(let channel):
                    group.addTask { try? await channel.closeFuture.get() }
                }
            }
        }
    }

    private enum ListenerEvent: Sendable {
        case call(ForwardedCall)
        case connection(any Channel)
    }

    /// Stops accepting connections; each open connection sends GOAWAY and
    /// closes once its calls are answered.
    func beginGracefulShutdown() {
        let (channel, connections) = state.withLock { state in
            state.shuttingDown = true
            return (state.serverChannel, Array(state.connections.values))
        }
        channel?.close(promise: nil)
        for connection in connections {
            connection.eventLoop.execute { connection.value.beginDrain() }
        }
    }

    /// Closes the listener and every connection at once, answered or not:
    /// what a shutdown does once the drain has taken too long.
    func closeNow() {
        let (channel, connections) = state.withLock { state in
            state.shuttingDown = true
            return (state.serverChannel, Array(state.connections.values))
        }
        channel?.close(promise: nil)
        for connection in connections {
            connection.eventLoop.execute { connection.value.closeNow() }
        }
        sink.finish()
    }

    /// Counts an accepted connection unless `connectionsMax` are open.
    /// - Returns: false (and reports it) when the connection must be closed.
    private func admit(_ channel: any Channel) -> Bool {
        let admitted = state.withLock { state in
            guard state.admitted < connectionsMax else { return false }
            state.admitted += 1
            return true
        }
        guard admitted else {
            onConnectionRefused()
            return false
        }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.state.withLock { $0.admitted -= 1 }
        }
        return true
    }

    private func register(_ channel: any Channel, _ handler: GRPCConnectionHandler) {
        let key = ObjectIdentifier(channel)
        let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        let draining = state.withLock { state in
            state.connections[key] = bound
            return state.shuttingDown
        }
        if draining { channel.eventLoop.execute { bound.value.beginDrain() } }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.connections.removeValue(forKey: key) }
        }
    }
}
