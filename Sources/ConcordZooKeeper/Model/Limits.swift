extension ZooKeeper {
    /// The limits a ZooKeeper state machine and server enforce. Each is
    /// named with its unit; requests beyond them are refused with
    /// ZooKeeper's error and change nothing.
    public struct Limits: Sendable, Hashable {
        /// The most bytes of data a node may hold: ZooKeeper's default
        /// `jute.maxbuffer` (0xfffff).
        public var dataBytesMax: Int
        /// The longest path, in UTF-8 bytes.
        public var pathBytesMax: Int
        /// The most entries in one ACL.
        public var aclEntriesMax: Int
        /// The most operations in one multi or multiRead.
        public var multiOperationsMax: Int
        /// Whether TTL nodes may be created (ZooKeeper's
        /// `zookeeper.extendedTypesEnabled`; when false, createTTL is
        /// refused with UNIMPLEMENTED as ZooKeeper does).
        public var ttlNodesEnabled: Bool

        public init(
            dataBytesMax: Int = 1_048_575, pathBytesMax: Int = 32_768, aclEntriesMax: Int = 1_024,
            multiOperationsMax: Int = 10_000, ttlNodesEnabled: Bool = true
        ) {
            self.dataBytesMax = dataBytesMax
            self.pathBytesMax = pathBytesMax
            self.aclEntriesMax = aclEntriesMax
            self.multiOperationsMax = multiOperationsMax
            self.ttlNodesEnabled = ttlNodesEnabled
        }
    }
}
