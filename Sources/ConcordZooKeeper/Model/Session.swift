extension ZooKeeper {
    /// A session as the replicated state knows it.
    public struct Session: Sendable, Hashable {
        /// The session id: positive, so it never looks like a container's
        /// or a TTL node's `ephemeralOwner`.
        public var id: Int64
        /// The negotiated timeout.
        public var timeoutMilliseconds: Int32
        /// The password a client must show to reattach (16 bytes).
        public var password: [UInt8]
        /// The server the session is attached to: only requests proposed by
        /// that server may change the tree for it (others get SESSIONMOVED).
        public var owner: UInt64

        public init(id: Int64, timeoutMilliseconds: Int32, password: [UInt8], owner: UInt64) {
            self.id = id
            self.timeoutMilliseconds = timeoutMilliseconds
            self.password = password
            self.owner = owner
        }

        /// The length of a session password, in bytes.
        public static let passwordBytes = 16
    }

    /// Why a session ends.
    public enum SessionCloseReason: UInt8, Sendable, Hashable, CaseIterable {
        /// The client sent closeSession.
        case closedByClient = 0
        /// The leader saw no sign of the client for the session's timeout.
        case expired = 1
    }
}
