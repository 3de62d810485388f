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
        /// the path, ACL and headers.
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
        /// The state machine's limits.
        public var limits: Limits
        /// Test-only: known bugs to re-introduce, for showing that the
        /// checkers catch them. Never set in a real server.
        public var bugs: ServerBugs

        public init(
            tickMilliseconds: Int32 = 2_000, sessionTimeoutMinimumMilliseconds: Int32? = nil,
            sessionTimeoutMaximumMilliseconds: Int32? = nil, frameBytesMax: Int = 1_048_575 + 65_536,
            pendingRequestsMax: Int = 10_000, containerCheckIntervalMilliseconds: Int64 = 60_000,
            containerDeletionsPerCheckMax: Int = 1_000, version: String = "3.8.4-concord",
            limits: Limits = Limits(), bugs: ServerBugs = ServerBugs()
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
        }

        /// The timeout a server grants for a requested one (clamped to the bounds).
        public func negotiatedTimeout(_ requested: Int32) -> Int32 {
            min(max(requested, sessionTimeoutMinimumMilliseconds), sessionTimeoutMaximumMilliseconds)
        }
    }

    /// Known bugs a test can switch on in a server, each breaking one of
    /// ZooKeeper's guarantees, so that the checkers can be shown to catch it.
    public struct ServerBugs: Sendable, Hashable {
        /// Answer a reconnecting client at once from this replica's own
        /// session table: without refusing a client that has seen a newer
        /// zxid, and without waiting for the reattachment to come back
        /// through the log (which would bring the replica up to date). A
        /// replica that is behind then serves the client an older state
        /// (breaks "a client never goes back in zxid after a reconnect").
        public var acceptsClientsAhead = false
        /// Send a watch event only after the responses that follow the
        /// change (breaks "a client sees the watch event before the new data").
        public var deliversWatchEventsLate = false

        public init(acceptsClientsAhead: Bool = false, deliversWatchEventsLate: Bool = false) {
            self.acceptsClientsAhead = acceptsClientsAhead
            self.deliversWatchEventsLate = deliversWatchEventsLate
        }
    }

    /// What a server asks its shell to do.
    public enum ServerEffect: Sendable, Hashable {
        /// Write these bytes (whole frames, or a four-letter word's text) to the connection.
        case send(connection: UInt64, bytes: [UInt8])
        /// Close the connection once what was sent before is written. The
        /// server has already forgotten it.
        case close(connection: UInt64)
        /// Order this proposal through the log (forwarding it to the leader,
        /// who stamps its time); the shell hands the committed transaction
        /// to ``ZooKeeper/Server/onCommitted(_:)`` on every server. A
        /// server's proposals must reach the log in the order it made them.
        case propose(Proposal)
    }

    /// A server's part in the cluster, for expiry decisions and `srvr`.
    public enum ServerRole: String, Sendable, Hashable {
        /// Decides session expiry and container deletion.
        case leader
        case follower
        /// The only member: it leads.
        case standalone
    }
}
