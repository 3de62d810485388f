extension ZooKeeper {
    /// An operation of a multiRead.
    public enum ReadOperation: Sendable, Hashable {
        case getChildren(path: String)
        case getData(path: String)
    }

    /// A request answered from the replica the client is connected to.
    public enum ReadRequest: Sendable, Hashable {
        case exists(path: String, watch: Bool)
        case getData(path: String, watch: Bool)
        case getChildren(path: String, watch: Bool)
        case getChildren2(path: String, watch: Bool)
        case getACL(path: String)
        case getAllChildrenNumber(path: String)
        /// The caller's session's ephemeral nodes whose path starts with
        /// `prefix` (all of them for an empty prefix or `/`).
        case getEphemerals(prefix: String)
        case multiRead([ReadOperation])

        /// The op code of the request.
        public var opCode: OpCode {
            switch self {
            case .exists: .exists
            case .getData: .getData
            case .getChildren: .getChildren
            case .getChildren2: .getChildren2
            case .getACL: .getACL
            case .getAllChildrenNumber: .getAllChildrenNumber
            case .getEphemerals: .getEphemerals
            case .multiRead: .multiRead
            }
        }
    }
}
