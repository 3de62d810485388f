extension ZooKeeper {
    /// Everything that goes through the log for ZooKeeper. Each is applied
    /// by every replica in log order (``ZooKeeper/StateMachine/apply(_:)``).
    public enum Command: Sendable, Hashable {
        /// Opens a session; the proposing server (the transaction's origin)
        /// owns it. Refused if the id is taken.
        case createSession(sessionID: Int64, timeoutMilliseconds: Int32, password: [UInt8])
        /// Moves a session to the proposing server, if it exists and the
        /// password matches (a client reconnecting, to the same or another server).
        case reattachSession(sessionID: Int64, password: [UInt8])
        /// Ends a session and deletes its ephemeral nodes, all in one
        /// transaction (one zxid).
        case closeSession(sessionID: Int64, reason: SessionCloseReason)
        /// A client's write, with the identities its connection had proved
        /// when it was sent (ACLs are checked on apply, with these).
        case write(sessionID: Int64, identities: [Identity], request: WriteRequest)
        /// A client's sync: changes nothing and takes no zxid; when a replica
        /// applies it, that replica has applied everything committed before.
        case sync(sessionID: Int64, path: String)
        /// The leader's deletion of an empty container or an expired TTL
        /// node; applied only if the node still qualifies at the
        /// transaction's time.
        case deleteContainer(path: String)
    }

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
