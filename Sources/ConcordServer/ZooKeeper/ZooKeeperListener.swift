import ConcordTransport
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// What the ZooKeeper listener needs from the member: a place to open
/// connections, hand over their bytes and report them gone or with room.
/// `ConcordNode` is the one implementation; the protocol keeps the listener
/// free of the core.
protocol ZooKeeperConnectionHost: Actor {
    /// Opens a connection from `remoteAddress` whose bytes go to the output
    /// `makeOutput` makes from the connection's id and its count of queued
    /// bytes.
    /// - Returns: its id (unique at the member); nil when the member takes
    ///   no more connections.
    func openZooKeeperConnection(
        remoteAddress: String, output makeOutput: @Sendable (UInt64, ZooKeeperConnectionTable.QueuedBytes) -> any ZooKeeperConnectionOutput
    ) -> UInt64?
    /// Bytes read from connection `id`; waits while the connection has no
    /// room for answers. Returns false once the connection is closing.
    func receiveZooKeeperBytes(_ bytes: [UInt8], connection id: UInt64) async -> Bool
    /// Connection `id`'s answers reached the socket and brought its queue
    /// back under the limit (``ZooKeeperConnectionTable/QueuedBytes/written(_:)``
    /// said so): its reader may go on.
    func zooKeeperRoomFreed(connection id: UInt64)
    /// Connection `id` is gone.
    func closedZooKeeperConnection(_ id: UInt64)
}

/// A ZooKeeper connection's socket as its output. The member's writes go
/// straight to the channel, which queues them on its event loop in the
/// order they were made: no task stands between the member and the socket.
/// Each write, once on the socket (or failed), is taken from the queued
/// count here, on the event loop; the member hears of it only when that
/// frees room for its reader.
final class ZooKeeperChannelOutput: ZooKeeperConnectionOutput {
    private let channel: any Channel
    private let queued: ZooKeeperConnectionTable.QueuedBytes
    private let roomFreed: @Sendable () -> Void
    /// The last write made: the close waits for it (writes complete in order).
    private let lastWrite = Mutex<EventLoopFuture<Void>?>(nil)

    init(channel: any Channel, queued: ZooKeeperConnectionTable.QueuedBytes, roomFreed: @escaping @Sendable () -> Void) {
        self.channel = channel
        self.queued = queued
        self.roomFreed = roomFreed
    }

    func write(_ bytes: [UInt8]) {
        let count = bytes.count
        let written = channel.writeAndFlush(ByteBuffer(bytes: bytes))
        lastWrite.withLock { $0 = written }
        written.whenComplete { [queued, roomFreed] _ in
            if queued.written(count) { roomFreed() }
        }
    }

    func close() {
        // After the last write, so the last answers reach the socket first.
        let channel = self.channel
        if let last = lastWrite.withLock({ $0 }) {
            last.whenComplete { _ in channel.close(promise: nil) }
        } else {
            channel.close(promise: nil)
        }
    }
}

/// The ZooKeeper-protocol listener (`--listen-zookeeper-urls`): accepts
/// connections and, for each, runs a reader that hands the bytes to the
/// member (which gives them to the server core's ZooKeeper face); what the
/// core sends the member writes to the channel itself
/// (`ZooKeeperChannelOutput`). It decides nothing:
/// framing, sessions, answers and closes are the core's.
///
/// Backpressure: the reader reads the next chunk only once the member has
/// taken the last, and the member makes it wait while more than
/// `ZooKeeperConnectionTable.queuedBytesMax` of the connection's answers
/// wait to reach the socket; the channel stops reading from the socket
/// while chunks wait (`NIOAsyncChannel`'s inbound watermarks). A
/// connection beyond the member's limit is closed as it is accepted.
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
        let opened = await host.openZooKeeperConnection(remoteAddress: remote) { id, queued in
            ZooKeeperChannelOutput(channel: channel, queued: queued) {
                Task { await host.zooKeeperRoomFreed(connection: id) }
            }
        }
        guard let id = opened else {
            logger.debug("zookeeper connection refused: too many open", metadata: ["remote": "\(remote)"])
            try? await channel.close()
            return
        }
        do {
            try await connection.executeThenClose { inbound, _ in
                // The reader: every chunk to the member, in order.
                for try await buffer in inbound {
                    guard await host.receiveZooKeeperBytes(Array(buffer.readableBytesView), connection: id) else {
                        // The member is closing the connection: it closes
                        // once what it sent before is out.
                        try? await channel.closeFuture.get()
                        return
                    }
                }
                // End of input: ZooKeeper treats a half-closed connection as gone.
            }
        } catch {
            logger.debug("zookeeper connection closed", metadata: ["connection": "\(id)", "error": "\(error)"])
        }
        await host.closedZooKeeperConnection(id)
    }
}
