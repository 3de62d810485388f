extension ZooKeeper {
    /// What a server reports to the four-letter words.
    public struct ServerStatistics: Sendable, Hashable {
        /// One client connection, as `stat` lists it.
        public struct Connection: Sendable, Hashable {
            public var remoteAddress: String
            public var queued: Int
            public var received: Int
            public var sent: Int

            public init(remoteAddress: String, queued: Int, received: Int, sent: Int) {
                self.remoteAddress = remoteAddress
                self.queued = queued
                self.received = received
                self.sent = sent
            }
        }

        /// The version line (ZooKeeper's version this server speaks, and its own).
        public var version: String
        /// `leader`, `follower` or `standalone`.
        public var mode: String
        /// Request latencies, when the shell measures them (0 otherwise).
        public var latencyMinimumMilliseconds: Int64 = 0
        public var latencyAverageMilliseconds: Double = 0
        public var latencyMaximumMilliseconds: Int64 = 0
        public var packetsReceived: Int = 0
        public var packetsSent: Int = 0
        public var connections: [Connection] = []
        public var outstandingRequests: Int = 0
        public var lastZxid: Int64 = 0
        public var nodeCount: Int = 0
        public var watchCount: Int = 0
        public var ephemeralsCount: Int = 0
        public var approximateDataBytes: Int = 0
        public var sessionCount: Int = 0
        /// For a leader: the other members, and those in step with it.
        public var learners: Int = 0
        public var syncedFollowers: Int = 0

        public init(version: String, mode: String) {
            self.version = version
            self.mode = mode
        }
    }
}
