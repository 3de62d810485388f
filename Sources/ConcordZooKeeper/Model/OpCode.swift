extension ZooKeeper {
    /// ZooKeeper's operation codes (`ZooDefs.OpCode`): the `type` of a
    /// request header and of each operation in a multi.
    public enum OpCode: Int32, Sendable, Hashable, CaseIterable {
        case notification = 0
        case create = 1
        case delete = 2
        case exists = 3
        case getData = 4
        case setData = 5
        case getACL = 6
        case setACL = 7
        case getChildren = 8
        case sync = 9
        case ping = 11
        case getChildren2 = 12
        case check = 13
        case multi = 14
        case create2 = 15
        case reconfig = 16
        case checkWatches = 17
        case removeWatches = 18
        case createContainer = 19
        case deleteContainer = 20
        case createTTL = 21
        case multiRead = 22
        case auth = 100
        case setWatches = 101
        case sasl = 102
        case getEphemerals = 103
        case getAllChildrenNumber = 104
        case setWatches2 = 105
        case addWatch = 106
        case whoAmI = 107
        case createSession = -10
        case closeSession = -11
        case error = -1
    }

    /// The request and reply `xid`s ZooKeeper reserves (`ClientCnxn`).
    public enum ReservedXid {
        /// A watch notification (reply header only; the body is a
        /// ``ZooKeeper/WatcherEvent``).
        public static let notification: Int32 = -1
        /// A ping and its reply.
        public static let ping: Int32 = -2
        /// An authentication packet and its reply.
        public static let authentication: Int32 = -4
        /// A set-watches request sent after a reconnect, and its reply.
        public static let setWatches: Int32 = -8
    }
}
