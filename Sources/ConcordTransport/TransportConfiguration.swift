extension Transport {
    /// The limits and timings of a ``PeerTransport``.
    public struct Configuration: Sendable, Hashable {
        /// The largest frame accepted or sent, in bytes. A larger inbound
        /// frame closes its connection; a larger outbound one is refused.
        public var frameBytesMax: Int = 8 << 20
        /// The most frames queued for one peer while they cannot be written.
        /// When full, new frames to that peer are dropped (see ``PeerTransport``).
        public var outboundQueueFramesMax: Int = 4096
        /// The most bytes queued for one peer while they cannot be written.
        public var outboundQueueBytesMax: Int = 64 << 20
        /// The most frames written before one flush.
        public var framesPerFlushMax: Int = 256
        /// The first delay before reconnecting, in milliseconds.
        public var reconnectDelayMinimumMilliseconds: Int64 = 20
        /// The longest delay between reconnection attempts, in milliseconds.
        public var reconnectDelayMaximumMilliseconds: Int64 = 1000
        /// How long a connection attempt may take, in milliseconds.
        public var connectTimeoutMilliseconds: Int64 = 1000

        /// Creates the default configuration.
        public init() {}
    }
}
