extension ZooKeeper {
    /// Which server proposed a transaction, and that server's tag for the
    /// request waiting on it, so that the server can answer its client when
    /// the transaction is applied.
    public struct Origin: Sendable, Hashable {
        /// The proposing server.
        public var server: UInt64
        /// The proposing server's tag for the waiting request; 0 when nobody waits.
        public var tag: UInt64

        public init(server: UInt64, tag: UInt64) {
            self.server = server
            self.tag = tag
        }
    }

    /// What a server asks the log to order: a command and where it came from.
    public struct Proposal: Sendable, Hashable {
        public var origin: Origin
        public var command: Command

        public init(origin: Origin, command: Command) {
            self.origin = origin
            self.command = command
        }
    }

    /// A proposal as the log orders it: the leader adds its time when it
    /// appends the entry, so every replica applies the same time (ctime,
    /// mtime, TTL expiry) instead of reading its own clock.
    public struct Transaction: Sendable, Hashable {
        public var origin: Origin
        /// The leader's time, in milliseconds since the epoch.
        public var timeMilliseconds: Int64
        public var command: Command

        public init(origin: Origin, timeMilliseconds: Int64, command: Command) {
            self.origin = origin
            self.timeMilliseconds = timeMilliseconds
            self.command = command
        }

        /// The transaction a proposal becomes when the leader appends it at `timeMilliseconds`.
        public init(_ proposal: Proposal, timeMilliseconds: Int64) {
            self.init(origin: proposal.origin, timeMilliseconds: timeMilliseconds, command: proposal.command)
        }
    }
}
