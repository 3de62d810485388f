import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Frames between replicas over TCP (see ``Transport`` for the wire format).
///
/// A transport listens for peers that send to it and dials the peers it
/// sends to, one outbound connection per peer. Sending never blocks: a
/// frame goes into the peer's bounded queue and is written in batches (one
/// flush per batch); when the queue is full the frame is dropped (see
/// `Transport.PeerLink`). A broken connection is redialled with exponential
/// backoff and jitter. Received frames are handed to `receiver` on a NIO
/// event loop, tagged with the sender named by the connection's hello.
public final class PeerTransport: Sendable {
    /// This replica's id, announced in every hello.
    public let localID: UInt64
    private let configuration: Transport.Configuration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let receiver: @Sendable (UInt64, [UInt8]) -> Void
    private let tls: ReloadingTLSContext?
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var links: [UInt64: Transport.PeerLink] = [:]
        var listener: (any Channel)?
        var acceptedChannels: [ObjectIdentifier: any Channel] = [:]
        var shutDown = false
    }

    /// Creates a transport; nothing happens until ``listen(host:port:)`` or ``send(to:_:)``.
    /// - Parameters:
    ///   - localID: This replica's id (not zero).
    ///   - configuration: Limits and timings.
    ///   - group: The event loops to run on.
    ///   - tls: When set, every connection, accepted or dialled, is TLS
    ///     with these contexts (mutual when they require a client
    ///     certificate); nil for plaintext.
    ///   - group: The event loops to run on.
    ///   - logger: Where connection errors are logged.
    ///   - receiver: Called with the sender and payload of every frame received.
    public init(
        localID: UInt64, configuration: Transport.Configuration = .init(), tls: ReloadingTLSContext? = nil,
        group: any EventLoopGroup, logger: Logger, receiver: @escaping @Sendable (UInt64, [UInt8]) -> Void
    ) {
        precondition(localID != 0, "replica id 0 is reserved")
        self.localID = localID
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.receiver = receiver
        self.tls = tls
    }

    /// Starts accepting peer connections.
    /// - Returns: The port bound (useful with port 0).
    /// - Throws: ``ListenError`` when the address cannot be bound.
    public func listen(host: String, port: Int) async throws -> Int {
        let frameBytesMax = configuration.frameBytesMax
        let logger = self.logger
        let receiver = self.receiver
        let tls = self.tls
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                self?.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeServerHandler()) }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(Transport.FrameDecoder(frameBytesMax: frameBytesMax)))
                    try channel.pipeline.syncOperations.addHandler(
                        Transport.InboundFrameHandler(logger: logger, receiver: receiver))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            let url = "\(tls == nil ? "http" : "https")://\(host):\(port)"
            throw ListenError(purpose: "peers", url: url, host: host, port: port, error: error)
        }
        let stopNow = state.withLock { state in
            state.listener = channel
            return state.shutDown
        }
        if stopNow { try? await channel.close() }
        return channel.localAddress?.port ?? port
    }

    private func track(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        let accepted = state.withLock { state -> Bool in
            guard !state.shutDown else { return false }
            state.acceptedChannels[key] = channel
            return true
        }
        guard accepted else {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.acceptedChannels.removeValue(forKey: key) }
        }
    }

    /// Declares (or re-declares) where peer `id` listens.
    public func setPeer(_ id: UInt64, host: String, port: Int) {
        let link = Transport.PeerLink(
            peer: id, host: host, port: port, localID: localID, tls: tls, eventLoop: group.next(),
            configuration: configuration, logger: logger)
        let previous = state.withLock { state -> Transport.PeerLink? in
            guard !state.shutDown else { return nil }
            let previous = state.links[id]
            state.links[id] = link
            return previous
        }
        _ = previous?.close()
    }

    /// Forgets peer `id`: closes its connection (dropping frames still
    /// queued for it) and stops reconnecting. Sending to it then fails with
    /// ``TransportError/unknownPeer(_:)``.
    public func removePeer(_ id: UInt64) {
        let previous = state.withLock { state -> Transport.PeerLink? in state.links.removeValue(forKey: id) }
        _ = previous?.close()
    }

    /// Queues a frame for peer `id`.
    /// - Throws: ``TransportError`` for an unknown peer, an oversized frame,
    ///   or a transport that was shut down.
    public func send(to id: UInt64, _ payload: [UInt8]) throws(TransportError) {
        guard payload.count <= configuration.frameBytesMax else {
            throw .frameTooLarge(bytes: payload.count, limit: configuration.frameBytesMax)
        }
        let link = state.withLock { state -> Transport.PeerLink? in state.shutDown ? nil : state.links[id] }
        guard let link else {
            throw state.withLock { $0.shutDown } ? .shutDown : .unknownPeer(id)
        }
        link.send(payload)
    }

    /// The frames dropped so far because peer `id`'s queue was full.
    public func droppedFrames(to id: UInt64) async throws -> Int {
        guard let link = state.withLock({ $0.links[id] }) else { return 0 }
        return try await link.dropped().get()
    }

    /// Stops listening, closes every connection and stops reconnecting.
    public func shutdown() async {
        let (links, listener, accepted) = state.withLock { state in
            state.shutDown = true
            let result = (Array(state.links.values), state.listener, Array(state.acceptedChannels.values))
            state.links = [:]
            state.listener = nil
            state.acceptedChannels = [:]
            return result
        }
        try? await listener?.close()
        for channel in accepted { try? await channel.close() }
        for link in links { try? await link.close().get() }
    }
}
