extension ZooKeeper {
    /// The watches a client re-registers after reconnecting (jute
    /// `SetWatches`, or `SetWatches2` with the persistent lists).
    public struct SetWatches: Sendable, Hashable {
        /// The client's last zxid: a registered path that changed after it
        /// fires at once.
        public var relativeZxid: Int64
        public var dataWatches: [String]
        public var existWatches: [String]
        public var childWatches: [String]
        public var persistentWatches: [String]
        public var persistentRecursiveWatches: [String]
        /// Whether the request came as `setWatches2` (op code 105).
        public var isVersion2: Bool

        public init(
            relativeZxid: Int64, dataWatches: [String] = [], existWatches: [String] = [], childWatches: [String] = [],
            persistentWatches: [String] = [], persistentRecursiveWatches: [String] = [], isVersion2: Bool = false
        ) {
            self.relativeZxid = relativeZxid
            self.dataWatches = dataWatches
            self.existWatches = existWatches
            self.childWatches = childWatches
            self.persistentWatches = persistentWatches
            self.persistentRecursiveWatches = persistentRecursiveWatches
            self.isVersion2 = isVersion2 || !persistentWatches.isEmpty || !persistentRecursiveWatches.isEmpty
        }
    }
}
