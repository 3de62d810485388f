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
}
