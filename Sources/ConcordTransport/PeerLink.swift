import DequeModule
import Logging
import NIOCore
import NIOPosix

extension Transport {
    /// The outbound side of one peer: a bounded queue of frames, one TCP
    /// connection, and reconnection with exponential backoff and jitter.
    ///
    /// Drop policy: while the queue holds `outboundQueueFramesMax` frames or
    /// `outboundQueueBytesMax` bytes, a new frame is dropped (and counted).
    /// Raft tolerates lost messages and resends what matters, so dropping
    /// the newest frame is safe and keeps a slow or dead peer from growing
    /// memory without bound; it never blocks the caller. Frames written to a
    /// connection that then breaks are lost the same way.
    ///
    /// Invariant: every stored property is touched only on `eventLoop`.
    final class PeerLink: @unchecked Sendable {
        let peer: UInt64
        let host: String
        let port: Int
        private let localID: UInt64
        private let tls: ReloadingTLSContext?
        private let eventLoop: any EventLoop
        private let configuration: Configuration
        private let logger: Logger

        private var queue: Deque<[UInt8]> = []
        private var queuedBytes = 0
        private var channel: (any Channel)?
        private var connecting = false
        private var closed = false
        /// A drain is queued on the event loop behind the sends already
        /// submitted, so that frames sent together leave in one write.
        private var drainScheduled = false
        private var nextDelayMilliseconds: Int64
        private var reconnectTask: Scheduled<Void>?
        /// Frames dropped because the queue was full.
        private(set) var droppedFrames = 0
        /// Connections that failed with an error after connecting (a
        /// refused TLS handshake among them).
        private var connectionFailures = 0

        init(
            peer: UInt64, host: String, port: Int, localID: UInt64, tls: ReloadingTLSContext?, eventLoop: any EventLoop,
            configuration: Configuration, logger: Logger
        ) {
            self.peer = peer
            self.host = host
            self.port = port
            self.localID = localID
            self.tls = tls
            self.eventLoop = eventLoop
            self.configuration = configuration
            self.logger = logger
            self.nextDelayMilliseconds = configuration.reconnectDelayMinimumMilliseconds
        }

        /// Queues a frame and writes what the connection accepts.
        func send(_ payload: [UInt8]) {
            eventLoop.execute { self.enqueue(payload) }
        }

        /// Closes the connection and stops reconnecting.
        func close() -> EventLoopFuture<Void> {
            eventLoop.flatSubmit {
                self.closed = true
                self.reconnectTask?.cancel()
                self.queue.removeAll()
                self.queuedBytes = 0
                guard let channel = self.channel else { return self.eventLoop.makeSucceededVoidFuture() }
                return channel.close().recover { _ in }
            }
        }

        /// The number of frames dropped so far (for tests and metrics).
        func dropped() -> EventLoopFuture<Int> {
            eventLoop.submit { self.droppedFrames }
        }

        private func enqueue(_ payload: [UInt8]) {
            guard !closed else { return }
            if queue.count >= configuration.outboundQueueFramesMax
                || queuedBytes + payload.count > configuration.outboundQueueBytesMax
            {
                droppedFrames += 1
                if droppedFrames.isPowerOfTwo {
                    logger.warning("peer queue full; dropping frames", metadata: ["peer": "\(peer)", "dropped": "\(droppedFrames)"])
                }
                return
            }
            queue.append(payload)
            queuedBytes += payload.count
            if channel == nil {
                connectIfIdle()
            } else {
                scheduleDrain()
            }
        }

        /// Drains once the event loop has run the sends queued before this
        /// one: a burst of frames (a node's messages of one step) becomes one
        /// write and one flush instead of one system call per frame.
        private func scheduleDrain() {
            guard !drainScheduled else { return }
            drainScheduled = true
            eventLoop.execute {
                self.drainScheduled = false
                self.drain()
            }
        }

        /// The most bytes gathered into one write (a larger frame goes alone).
        static let batchBytesMax = 1 << 20

        /// Writes queued frames while the channel is writable, flushing once
        /// per batch of at most `framesPerFlushMax` frames.
        func drain() {
            guard let channel, channel.isActive else { return }
            while !queue.isEmpty && channel.isWritable {
                // One buffer sized for the batch up front (growing it frame by
                // frame copied it over and over), and batches of at most
                // `batchBytesMax` so that large frames (snapshot chunks) are
                // not gathered into one huge copy.
                var frames = 0
                var bytes = 0
                while frames < min(queue.count, configuration.framesPerFlushMax),
                    frames == 0 || bytes + queue[frames].count + 4 <= Self.batchBytesMax
                {
                    bytes += queue[frames].count + 4
                    frames += 1
                }
                var buffer = channel.allocator.buffer(capacity: bytes)
                for _ in 0..<frames {
                    let payload = queue.removeFirst()
                    queuedBytes -= payload.count
                    Transport.appendFrame(payload, to: &buffer)
                }
                channel.writeAndFlush(buffer, promise: nil)
            }
        }

        private func connectIfIdle() {
            guard !closed, channel == nil, !connecting, reconnectTask == nil else { return }
            connecting = true
            let hello = Hello(sender: localID).encoded
            let tls = self.tls
            let host = self.host
            ClientBootstrap(group: eventLoop)
                .connectTimeout(.milliseconds(configuration.connectTimeoutMilliseconds))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeClientHandler(host: host)) }
                        try channel.pipeline.syncOperations.addHandler(WritabilityHandler(link: self))
                    }
                }
                .connect(host: host, port: port)
                .hop(to: eventLoop)
                .whenComplete { result in
                    self.connecting = false
                    switch result {
                    case .success(let channel):
                        guard !self.closed else {
                            channel.close(promise: nil)
                            return
                        }
                        self.logger.debug("connected to peer", metadata: ["peer": "\(self.peer)"])
                        self.channel = channel
                        self.nextDelayMilliseconds = self.configuration.reconnectDelayMinimumMilliseconds
                        var buffer = channel.allocator.buffer(capacity: Hello.encodedBytes + 4)
                        Transport.appendFrame(hello, to: &buffer)
                        channel.write(buffer, promise: nil)
                        channel.closeFuture.hop(to: self.eventLoop).whenComplete { _ in self.connectionClosed(channel) }
                        self.drain()
                        channel.flush()
                    case .failure(let error):
                        self.logger.debug("cannot connect to peer", metadata: ["peer": "\(self.peer)", "error": "\(error)"])
                        self.scheduleReconnect()
                    }
                }
        }

        /// Logs why a connection failed (a TLS handshake the peer refused,
        /// or whose certificate this node refused): the first failure and
        /// then every power of two, so a peer that stays unreachable does not
        /// flood the log.
        func connectionFailed(_ error: any Error) {
            connectionFailures += 1
            if connectionFailures.isPowerOfTwo {
                logger.warning(
                    "peer connection failed",
                    metadata: [
                        "peer": "\(String(peer, radix: 16))", "address": "\(host):\(port)", "error": "\(error)",
                        "failures": "\(connectionFailures)",
                    ])
            }
        }

        private func connectionClosed(_ closedChannel: any Channel) {
            guard channel === closedChannel else { return }
            channel = nil
            logger.debug("peer connection closed", metadata: ["peer": "\(peer)"])
            scheduleReconnect()
        }

        /// Waits a random delay in [d/2, d] (jitter keeps peers that lost
        /// each other at once from retrying in lockstep), then doubles d up
        /// to the maximum.
        private func scheduleReconnect() {
            guard !closed, reconnectTask == nil else { return }
            let delay = nextDelayMilliseconds
            let jittered = Int64.random(in: (delay / 2)...max(delay, 1))
            nextDelayMilliseconds = min(delay * 2, configuration.reconnectDelayMaximumMilliseconds)
            reconnectTask = eventLoop.scheduleTask(in: .milliseconds(jittered)) {
                self.reconnectTask = nil
                // Reconnect only when there is something to send; an idle
                // peer is dialled again by the next frame.
                if !self.queue.isEmpty { self.connectIfIdle() }
            }
        }
    }

    /// Resumes writing a peer's queue when its connection becomes writable
    /// again, and discards anything the peer writes back.
    final class WritabilityHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let link: PeerLink

        init(link: PeerLink) {
            self.link = link
        }

        func channelWritabilityChanged(context: ChannelHandlerContext) {
            if context.channel.isWritable { link.drain() }
            context.fireChannelWritabilityChanged()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            link.connectionFailed(error)
            context.close(promise: nil)
        }
    }
}

extension Int {
    fileprivate var isPowerOfTwo: Bool { self > 0 && (self & (self - 1)) == 0 }
}
