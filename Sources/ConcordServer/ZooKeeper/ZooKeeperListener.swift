import ConcordTransport
import Logging
import NIOCore
import NIOPosix

/// What the ZooKeeper listener needs from the member: a place to open
/// connections, hand over their bytes and report them written or gone.
/// `ConcordNode` is the one implementation; the protocol keeps the listener
/// free of the core.
protocol ZooKeeperConnectionHost: Actor {
    /// Opens a connection from `remoteAddress`.
    /// - Returns: its id (unique at the member) and the sequence its writer
    ///   writes out; nil when the member takes no more connections.
    func openZooKeeperConnection(remoteAddress: String) -> (id: UInt64, outbound: AsyncStream<ZooKeeperConnectionTable.Outbound>)?
    /// Bytes read from connection `id`; waits while the connection has no
    /// room for answers. Returns false once the connection is closing.
    func receiveZooKeeperBytes(_ bytes: [UInt8], connection id: UInt64) async -> Bool
    /// The writer of connection `id` wrote `count` bytes.
    func wroteZooKeeperBytes(_ count: Int, connection id: UInt64)
    /// Connection `id` is gone.
    func closedZooKeeperConnection(_ id: UInt64)
}

/// The ZooKeeper-protocol listener (`--listen-zookeeper-urls`): accepts
/// connections and, for each, runs a reader that hands the bytes to the
/// member (which gives them to the server core's ZooKeeper face) and a
/// writer that writes, in order, what the core sends. It decides nothing:
/// framing, sessions, answers and closes are the core's.
///
/// Backpressure: the reader reads the next chunk only once the member has
/// taken the last, and the member makes it wait while more than
/// `ZooKeeperConnectionTable.queuedBytesMax` of the connection's answers
/// wait to be written; the channel stops reading from the socket while
/// chunks wait (`NIOAsyncChannel`'s inbound watermarks). A connection
/// beyond the member's limit is closed as it is accepted.
final class ZooKeeperListener: Sendable {
    private let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    private let host: any ZooKeeperConnectionHost
    private let logger: Logger

    /// The port bound.
    var port: Int { server.channel.localAddress?.port ?? 0 }

    private init(
        server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>, host: any ZooKeeperConnectionHost, logger: Logger
    ) {
        self.server = server
        self.host = host
        self.logger = logger
    }

    /// Binds `address:port`.
    /// - Throws: `ListenError` when the address cannot be bound.
    static func bind(
        address: String, port: Int, group: any EventLoopGroup, tls: ReloadingTLSContext? = nil, host: any ZooKeeperConnectionHost,
        logger: Logger
    ) async throws -> ZooKeeperListener {
        do {
            let server = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: address, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeServerHandler()) }
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            return ZooKeeperListener(server: server, host: host, logger: logger)
        } catch {
            throw ListenError(purpose: "zookeeper", url: "\(tls == nil ? "zk" : "zks")://\(address):\(port)", host: address, port: port, error: error)
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
                logger.debug("the zookeeper listener stopped", metadata: ["error": "\(error)"])
            }
            connections.cancelAll()
        }
    }

    /// Closes the listener (connections close as `serve()` ends).
    func close() async {
        try? await server.channel.close()
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let host = self.host
        let channel = connection.channel
        let remote = channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
        guard let (id, outbound) = await host.openZooKeeperConnection(remoteAddress: remote) else {
            logger.debug("zookeeper connection refused: too many open", metadata: ["remote": "\(remote)"])
            try? await channel.close()
            return
        }
        do {
            try await connection.executeThenClose { inbound, writer in
                // Each task returns whether the other may finish on its own.
                try await withThrowingTaskGroup(of: Bool.self) { tasks in
                    tasks.addTask {
                        // The writer: the core's sends, in order, then its close.
                        for await item in outbound {
                            switch item {
                            case .bytes(let bytes):
                                try await writer.write(ByteBuffer(bytes: bytes))
                                await host.wroteZooKeeperBytes(bytes.count, connection: id)
                            case .close:
                                try? await channel.close()
                                return true
                            }
                        }
                        return false
                    }
                    tasks.addTask {
                        // The reader: every chunk to the member, in order.
                        for try await buffer in inbound {
                            // The member is closing the connection: the
                            // writer finishes what is queued, then closes.
                            guard await host.receiveZooKeeperBytes(Array(buffer.readableBytesView), connection: id) else { return true }
                        }
                        // End of input: ZooKeeper treats a half-closed
                        // connection as gone.
                        try? await channel.close()
                        return false
                    }
                    if try await tasks.next() == true {
                        _ = try await tasks.next()
                    }
                    tasks.cancelAll()
                }
            }
        } catch {
            logger.debug("zookeeper connection closed", metadata: ["connection": "\(id)", "error": "\(error)"])
        }
        await host.closedZooKeeperConnection(id)
    }
}
