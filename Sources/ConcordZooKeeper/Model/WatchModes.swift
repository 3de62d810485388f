extension ZooKeeper {
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
}
