extension ZooKeeper {
    /// What applying one transaction did, for the servers to act on.
    public struct Applied: Sendable, Hashable {
        /// What the transaction's requester is told.
        public enum Outcome: Sendable, Hashable {
            /// A client request succeeded (a write, a sync, a closeSession).
            case response(Response)
            /// A client request failed and changed nothing.
            case error(ErrorCode)
            /// A session was created or reattached to the origin server.
            case sessionEstablished(Session)
            /// A session could not be created or reattached:
            /// SESSIONEXPIRED (unknown session), AUTHFAILED (wrong password),
            /// NODEEXISTS (id taken).
            case sessionRefused(ErrorCode)
            /// A transaction nobody waits for (an expiry, a container deletion).
            case done
        }

        /// The transaction's zxid; for a sync, which takes none, the zxid of
        /// the last transaction before it.
        public var zxid: Int64
        /// Who proposed it.
        public var origin: Origin
        /// What its requester is told.
        public var outcome: Outcome
        /// The changes watches may wait for, in the order they happened.
        public var triggers: [WatchTrigger]
        /// Sessions that ended (closed or expired) with this transaction.
        public var endedSessions: [Int64]
        /// A session whose owner changed (created or reattached), and its new owner.
        public var attachedSession: Session?
    }
}
