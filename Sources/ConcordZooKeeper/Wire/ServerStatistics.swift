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

        /// What `conf` reports.
        public struct Configuration: Sendable, Hashable {
            /// The port clients connect to (0 until the shell says).
            public var clientPort: Int = 0
            /// Where the server keeps its data (empty until the shell says).
            public var dataDirectory: String = ""
            /// The data directory's size in bytes, when the shell measures it.
            public var dataDirectoryBytes: Int64 = 0
            public var tickMilliseconds: Int32 = 0
            /// The most connections from one host (0: no limit, as ZooKeeper prints it).
            public var clientConnectionsPerHostMax: Int = 0
            public var sessionTimeoutMinimumMilliseconds: Int32 = 0
            public var sessionTimeoutMaximumMilliseconds: Int32 = 0
            public var serverID: UInt64 = 0

            public init() {}
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
        /// The configuration `conf` reports.
        public var configuration = Configuration()

        public init(version: String, mode: String) {
            self.version = version
            self.mode = mode
        }
    }
}
