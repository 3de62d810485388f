extension ZooKeeper {
    /// One result of a multi or multiRead (jute `MultiHeader` plus the
    /// operation's record).
    public enum MultiResult: Sendable, Hashable {
        /// A `create` (type 1): the created path.
        case create(path: String)
        /// A `create2`, `createContainer` or `createTTL`: answered as
        /// `create2` (type 15) with the path and stat, as ZooKeeper does.
        case create2(path: String, stat: Stat)
        case delete
        case setData(stat: Stat)
        case check
        case getData(data: [UInt8], stat: Stat)
        case getChildren(children: [String])
        /// A failed operation (type -1). In a failed multi the operations
        /// before the failing one report `ok` (rolled back), the failing
        /// one its error, and those after it `runtimeInconsistency`.
        case error(ErrorCode)

        /// The type in the result's multi header.
        public var opCode: OpCode {
            switch self {
            case .create: .create
            case .create2: .create2
            case .delete: .delete
            case .setData: .setData
            case .check: .check
            case .getData: .getData
            case .getChildren: .getChildren
            case .error: .error
            }
        }
    }

    /// What a successful request returns (the body after the reply header;
    /// a failed request returns only the header, with its error code).
    public enum Response: Sendable, Hashable {
        /// No body: delete, ping, setWatches, checkWatches, removeWatches,
        /// closeSession, and a standalone check.
        case empty
        /// `CreateResponse` (create) or `SyncResponse` (sync).
        case path(String)
        /// `Create2Response`: create2, createContainer, createTTL.
        case pathAndStat(path: String, stat: Stat)
        /// `ExistsResponse`, `SetDataResponse`, `SetACLResponse`.
        case stat(Stat)
        /// `GetDataResponse`.
        case data(data: [UInt8], stat: Stat)
        /// `GetChildrenResponse`.
        case children([String])
        /// `GetChildren2Response`.
        case childrenAndStat(children: [String], stat: Stat)
        /// `GetACLResponse`.
        case acl(acl: [ACL], stat: Stat)
        /// `GetAllChildrenNumberResponse`.
        case count(Int32)
        /// `GetEphemeralsResponse`.
        case paths([String])
        /// `MultiResponse`, for multi and multiRead.
        case multi([MultiResult])
        /// addWatch's answer: an `ErrorResponse` whose code is 0.
        case watchAdded
    }
}
