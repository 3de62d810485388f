extension ZooKeeper {
    /// How a ZooKeeper server behaves: timeouts, limits, and test-only bug
    /// switches.
    public struct ServerConfiguration: Sendable {
        /// ZooKeeper's `tickTime`, the unit of session timeouts.
        public var tickMilliseconds: Int32
        /// The shortest session timeout granted (ZooKeeper: 2 ticks).
        public var sessionTimeoutMinimumMilliseconds: Int32
        /// The longest session timeout granted (ZooKeeper: 20 ticks).
        public var sessionTimeoutMaximumMilliseconds: Int32
        /// The largest frame a client may send: the data limit plus room for
        /// the path, ACL and headers (``defaultFrameBytesMax``). A longer
        /// length closes the connection, as ZooKeeper closes one whose length
        /// passes `jute.maxbuffer`.
        public var frameBytesMax: Int
        /// The most requests one connection may have waiting; a client that
        /// goes beyond is disconnected.
        public var pendingRequestsMax: Int
        /// How often the leader looks for containers and TTL nodes to delete
        /// (ZooKeeper's `znode.container.checkIntervalMs`).
        public var containerCheckIntervalMilliseconds: Int64
        /// The most container deletions proposed per check.
        public var containerDeletionsPerCheckMax: Int
        /// What `srvr`, `stat` and `mntr` report as the version.
        public var version: String
        /// The client port and data directory `conf` reports (the shell
        /// knows them; the core only repeats them).
        public var clientPort: Int
        public var dataDirectory: String
        /// The state machine's limits.
        public var limits: Limits
        /// Test-only: known bugs to re-introduce, for showing that the
        /// checkers catch them. Never set in a real server.
        public var bugs: ServerBugs

        public init(
            tickMilliseconds: Int32 = 2_000, sessionTimeoutMinimumMilliseconds: Int32? = nil,
            sessionTimeoutMaximumMilliseconds: Int32? = nil, frameBytesMax: Int = ServerConfiguration.defaultFrameBytesMax,
            pendingRequestsMax: Int = 10_000, containerCheckIntervalMilliseconds: Int64 = 60_000,
            containerDeletionsPerCheckMax: Int = 1_000, version: String = "3.8.4-concord",
            limits: Limits = Limits(), bugs: ServerBugs = ServerBugs(), clientPort: Int = 0, dataDirectory: String = ""
        ) {
            self.tickMilliseconds = tickMilliseconds
            self.sessionTimeoutMinimumMilliseconds = sessionTimeoutMinimumMilliseconds ?? 2 * tickMilliseconds
            self.sessionTimeoutMaximumMilliseconds = sessionTimeoutMaximumMilliseconds ?? 20 * tickMilliseconds
            self.frameBytesMax = frameBytesMax
            self.pendingRequestsMax = pendingRequestsMax
            self.containerCheckIntervalMilliseconds = containerCheckIntervalMilliseconds
            self.containerDeletionsPerCheckMax = containerDeletionsPerCheckMax
            self.version = version
            self.limits = limits
            self.bugs = bugs
            self.clientPort = clientPort
            self.dataDirectory = dataDirectory
        }

        /// ZooKeeper's default `jute.maxbuffer` (0xfffff bytes, the most data
        /// a node holds) plus 64 KiB for the path, ACL and headers around it.
        public static let defaultFrameBytesMax = 1_048_575 + 65_536

        /// The timeout a server grants for a requested one (clamped to the bounds).
        public func negotiatedTimeout(_ requested: Int32) -> Int32 {
            min(max(requested, sessionTimeoutMinimumMilliseconds), sessionTimeoutMaximumMilliseconds)
        }
    }
}
