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
}
