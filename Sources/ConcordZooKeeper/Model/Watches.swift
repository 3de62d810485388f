extension ZooKeeper {
    /// What happened to a node (`Watcher.Event.EventType`).
    public enum EventType: Int32, Sendable, Hashable, CaseIterable {
        case none = -1
        case nodeCreated = 1
        case nodeDeleted = 2
        case nodeDataChanged = 3
        case nodeChildrenChanged = 4
        case dataWatchRemoved = 5
        case childWatchRemoved = 6
        case persistentWatchRemoved = 7
    }

    /// The client's connection state in a watcher event (`Watcher.Event.KeeperState`).
    public enum KeeperState: Int32, Sendable, Hashable, CaseIterable {
        case unknown = -1
        case disconnected = 0
        case noSyncConnected = 1
        case syncConnected = 3
        case authFailed = 4
        case connectedReadOnly = 5
        case saslAuthenticated = 6
        case expired = -112
        case closed = 7
    }

    /// Which watches checkWatches and removeWatches name (`Watcher.WatcherType`).
    public enum WatcherType: Int32, Sendable, Hashable, CaseIterable {
        case children = 1
        case data = 2
        case any = 3
    }

    /// The kind of watch addWatch sets (`AddWatchMode`).
    public enum AddWatchMode: Int32, Sendable, Hashable, CaseIterable {
        /// Fires on every change to the node and its children list, and stays.
        case persistent = 0
        /// Fires on every change to the node and every node below it (but
        /// not on children-list changes), and stays.
        case persistentRecursive = 1
    }

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
