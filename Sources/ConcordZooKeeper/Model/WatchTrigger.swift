extension ZooKeeper {
    /// A change a transaction made that watches may be waiting for: the
    /// state machine's output, matched against each server's
    /// ``ZooKeeper/WatchTable``.
    public struct WatchTrigger: Sendable, Hashable {
        /// The node the event is about.
        public var path: String
        /// What happened.
        public var type: EventType
        /// The ACL of the node the event is about (the deleted node's, or the
        /// parent's for a children change): a session without READ
        /// permission under it is not told (as ZooKeeper filters events).
        public var acl: [ACL]

        public init(path: String, type: EventType, acl: [ACL]) {
            self.path = path
            self.type = type
            self.acl = acl
        }
    }

    /// A watch event for one session, as the server sends it.
    public struct WatcherEvent: Sendable, Hashable {
        public var type: EventType
        public var state: KeeperState
        public var path: String

        public init(type: EventType, state: KeeperState = .syncConnected, path: String) {
            self.type = type
            self.state = state
            self.path = path
        }
    }
}
