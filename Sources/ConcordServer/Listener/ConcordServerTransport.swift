import GRPCCore
import NIOCore
import NIOHTTP2
import NIOPosix
import Synchronization

/// The client listener: gRPC over plaintext HTTP/2 on SwiftNIO, with one
/// `GRPCConnectionHandler` per connection.
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
    private let configuration: GRPCConnectionHandler.Configuration
    private let bound: EventLoopPromise<SocketAddress>
    private let state = Mutex(State())

    private struct State {
        var serverChannel: (any Channel)?
        var connections: [ObjectIdentifier: NIOLoopBound<GRPCConnectionHandler>] = [:]
        var shuttingDown = false
    }

    /// - Parameters:
    ///   - directMethods: Unary methods answered on the connection, by path
    ///     (`/package.Service/Method`).
    ///   - messageBytesMax: The largest request message accepted.
    init(host: String, port: Int, group: any EventLoopGroup, directMethods: [String: DirectUnaryMethod], messageBytesMax: Int) {
        self.host = host
        self.port = port
        self.group = group
        self.configuration = .init(
            directMethods: directMethods, messageBytesMax: messageBytesMax,
            connectionWindowBytes: 8 * 1024 * 1024, streamWindowBytes: 1024 * 1024)
        self.bound = group.any().makePromise()
    }

    deinit {
        bound.fail(RPCError(code: .unavailable, message: "transport never listened"))
    }

    /// The address the listener is bound to, once it is.
    var listeningAddress: SocketAddress {
        get async throws { try await bound.futureResult.get() }
    }

    /// Serves until the listener is closed and every connection it accepted
    /// has closed, as grpc-swift's own transport does.
    func listen(streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void) async throws {
        let (events, sink) = AsyncStream<ListenerEvent>.makeStream()
        let configuration = self.configuration
        let forward: @Sendable (ForwardedCall) -> Bool = { call in
            if case .enqueued = sink.yield(.call(call)) { return true }
            return false
        }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                channel.eventLoop.makeCompletedFuture {
                    guard case .enqueued = sink.yield(.connection(channel)) else {
                        throw RPCError(code: .unavailable, message: "server is shutting down")
                    }
                    let handler = GRPCConnectionHandler(configuration: configuration, eventLoop: channel.eventLoop, forward: forward)
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOHTTP2Handler(mode: .server, initialSettings: GRPCConnectionHandler.settings(configuration)))
                    try sync.addHandler(handler)
                    self?.register(channel, handler)
                }
            }
        let serverChannel: any Channel
        do {
            serverChannel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            bound.fail(error)
            sink.finish()
            throw error
        }
        let stopNow = state.withLock { state in
            state.serverChannel = serverChannel
            return state.shuttingDown
        }
        if stopNow { serverChannel.close(promise: nil) }
        if let address = serverChannel.localAddress { bound.succeed(address) }
        serverChannel.closeFuture.whenComplete { _ in sink.finish() }
        await withDiscardingTaskGroup { group in
            for await event in events {
                switch event {
                case .call(let call):
                    group.addTask { await streamHandler(call.stream, call.context) }
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
