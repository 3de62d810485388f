import ConcordTransport
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// The Redis-protocol listener (`--listen-redis-urls`): accepts
/// connections and, for each, runs a reader that hands the bytes to the
/// member's ``AvailableStore`` and a writer that writes, in order, what the
/// store queues for the connection. It decides nothing.
///
/// Pipelining needs nothing here: the reader hands over whatever a read
/// returned, and the connection's core parses any number of requests from
/// it. Backpressure: the reader reads the next chunk only once the store
/// has taken the last (the store makes it wait while the connection has no
/// room), and the channel stops reading from the socket while chunks wait
/// (`NIOAsyncChannel`'s inbound watermarks); the writer waits for each
/// write, so a client that does not read its replies stops its own input.
///
/// With TLS (`rediss://`), each connection's pipeline starts with the
/// client listener's TLS handler (`--cert-file`, `--key-file`,
/// `--trusted-ca-file`, `--client-cert-auth`), made from the current
/// certificates when the connection is accepted, so a reload applies to the
/// connections that follow it. No ALPN protocol is offered (Redis has none).
/// With `--client-cert-auth`, the common name of the client's verified
/// certificate names the etcd user the connection is authenticated as,
/// as for an etcd call (docs/redis.md, "Users and permissions").
final class RedisListener: Sendable {
    private let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    private let store: AvailableStore
    private let logger: Logger
    /// True when a client certificate's common name names the user.
    private let certificateNamesUser: Bool

    /// The port bound.
    var port: Int { server.channel.localAddress?.port ?? 0 }

    private init(
        server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>, store: AvailableStore, logger: Logger, certificateNamesUser: Bool
    ) {
        self.server = server
        self.store = store
        self.logger = logger
        self.certificateNamesUser = certificateNamesUser
    }

    /// Binds `host:port`.
    /// - Parameter tls: TLS for every connection; nil for plaintext.
    /// - Throws: `ListenError` when the address cannot be bound.
    static func bind(
        host: String, port: Int, group: any EventLoopGroup, tls: ReloadingTLSContext? = nil, store: AvailableStore, logger: Logger
    ) async throws -> RedisListener {
        do {
            let server = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeServerHandler()) }
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            return RedisListener(
                server: server, store: store, logger: logger, certificateNamesUser: tls?.files.clientCertificateRequired ?? false)
        } catch {
            throw ListenError(
                purpose: "redis", url: "\(tls == nil ? "redis" : "rediss")://\(host):\(port)", host: host, port: port, error: error)
        }
    }

    /// Serves connections until the listener is closed; then closes every
    /// connection still open.
    func serve() async {
        await withDiscardingTaskGroup { connections in
            do {
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        connections.addTask { await self.serve(connection) }
                    }
                }
            } catch {
                logger.debug("the redis listener stopped", metadata: ["error": "\(error)"])
            }
            connections.cancelAll()
        }
    }

    /// Closes the listener (connections close as `serve()` ends).
    func close() async {
        try? await server.channel.close()
    }

    /// The common name of the connection's verified client certificate,
    /// when certificates name users.
    private func certificateUser(_ channel: any Channel) async -> String? {
        guard certificateNamesUser else { return nil }
        let user = try? await channel.eventLoop.submit { () -> String? in
            let tls = try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
            guard let certificate = tls.peerCertificate else { return nil }
            return try? CertificateSubject.commonName(of: certificate)
        }.get()
        return user ?? nil
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let store = self.store
        let opened = await store.openConnection()
        let (id, outbound, queued) = (opened.id, opened.outbound, opened.queued)
        let channel = connection.channel
        do {
            try await connection.executeThenClose { inbound, writer in
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask {
                        // The writer: the store's queue, in order.
                        do {
                            for await item in outbound {
                                switch item {
                                case .bytes(let bytes):
                                    try await writer.write(ByteBuffer(bytes: bytes))
                                    // No hop to the store unless a reader
                                    // waits for the room this frees.
                                    if queued.written(bytes.count) { await store.roomFreed(connection: id) }
                                case .close:
                                    try? await channel.close()
                                    return
                                }
                            }
                        } catch {
                            // The client is gone: release a reader the
                            // store holds for room that will never come.
                            await store.closed(connection: id)
                            throw error
                        }
                    }
                    tasks.addTask {
                        // The reader: every chunk to the store, in order.
                        var first = true
                        for try await buffer in inbound {
                            if first {
                                // Data flows once the handshake is done,
                                // so the peer's certificate is known.
                                first = false
                                if let user = await self.certificateUser(channel) {
                                    await store.authenticate(certificateUser: user, connection: id)
                                }
                            }
                            guard await store.receive(bytes: Array(buffer.readableBytesView), connection: id) else { return }
                        }
                        await store.inputEnded(connection: id)
                    }
                    // Whichever ends first with an error ends both; a
                    // reader done at end of input leaves the writer to
                    // finish the replies still due.
                    while let _ = try await tasks.next() {}
                }
            }
        } catch {
            logger.debug("redis connection closed", metadata: ["connection": "\(id)", "error": "\(error)"])
        }
        await store.closed(connection: id)
    }
}
