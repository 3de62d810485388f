extension ZooKeeper {
    /// A znode's metadata as clients see it (jute `Stat`), in ZooKeeper's
    /// field order.
    public struct Stat: Sendable, Hashable {
        /// The zxid of the transaction that created the node.
        public var czxid: Int64
        /// The zxid of the transaction that last set its data (or created it).
        public var mzxid: Int64
        /// The leader's time, in milliseconds since the epoch, when it was created.
        public var ctime: Int64
        /// The leader's time when its data was last set (or it was created).
        public var mtime: Int64
        /// How many times its data was set.
        public var version: Int32
        /// How many times its children changed (each create or delete of a child).
        public var cversion: Int32
        /// How many times its ACL was set.
        public var aversion: Int32
        /// The owning session of an ephemeral node; 0 for a persistent one;
        /// see ``ZooKeeper/EphemeralOwner`` for containers and TTL nodes.
        public var ephemeralOwner: Int64
        /// The length of its data in bytes.
        public var dataLength: Int32
        /// How many children it has.
        public var numChildren: Int32
        /// The zxid of the transaction that last changed its children (or created it).
        public var pzxid: Int64

        public init(
            czxid: Int64, mzxid: Int64, ctime: Int64, mtime: Int64, version: Int32, cversion: Int32,
            aversion: Int32, ephemeralOwner: Int64, dataLength: Int32, numChildren: Int32, pzxid: Int64
        ) {
            self.czxid = czxid
            self.mzxid = mzxid
            self.ctime = ctime
            self.mtime = mtime
            self.version = version
            self.cversion = cversion
            self.aversion = aversion
            self.ephemeralOwner = ephemeralOwner
            self.dataLength = dataLength
            self.numChildren = numChildren
            self.pzxid = pzxid
        }

        /// The size of a `Stat` on the wire: eleven fields, 68 bytes.
        public static let encodedBytes = 68
    }
}
