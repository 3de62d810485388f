extension ZooKeeper {
    /// A create request, whichever op code carried it.
    public struct CreateOperation: Sendable, Hashable {
        /// The op code it came with: `create` answers with the path alone;
        /// `create2`, `createContainer` and `createTTL` with the path and stat.
        public var opCode: OpCode
        /// The requested path (a sequential node's counter is appended to it).
        public var path: String
        /// The initial data.
        public var data: [UInt8]
        /// The requested ACL, before `auth` entries are expanded.
        public var acl: [ACL]
        /// The raw mode flag as sent (an unknown flag is refused on apply with
        /// BADARGUMENTS, as ZooKeeper does).
        public var flags: Int32
        /// The time to live of a TTL node in milliseconds; -1 for other kinds.
        public var ttlMilliseconds: Int64

        public init(opCode: OpCode = .create, path: String, data: [UInt8] = [], acl: [ACL] = ACL.openUnsafe, flags: Int32 = 0, ttlMilliseconds: Int64 = -1) {
            precondition([.create, .create2, .createContainer, .createTTL].contains(opCode), "not a create op code")
            self.opCode = opCode
            self.path = path
            self.data = data
            self.acl = acl
            self.flags = flags
            self.ttlMilliseconds = ttlMilliseconds
        }

        /// A create with a known mode.
        public init(opCode: OpCode = .create, path: String, data: [UInt8] = [], acl: [ACL] = ACL.openUnsafe, mode: CreateMode, ttlMilliseconds: Int64 = -1) {
            self.init(opCode: opCode, path: path, data: data, acl: acl, flags: mode.rawValue, ttlMilliseconds: ttlMilliseconds)
        }
    }

    /// One change to the tree: a request of its own, or one operation of a
    /// multi.
    public enum WriteOperation: Sendable, Hashable {
        case create(CreateOperation)
        /// Deletes a childless node if its version is `version` (-1: any).
        case delete(path: String, version: Int32)
        /// Sets a node's data if its version is `version` (-1: any).
        case setData(path: String, data: [UInt8], version: Int32)
        /// Fails unless the node's version is `version` (-1: any); changes nothing.
        case check(path: String, version: Int32)

        /// The op code of the operation.
        public var opCode: OpCode {
            switch self {
            case .create(let create): create.opCode
            case .delete: .delete
            case .setData: .setData
            case .check: .check
            }
        }

        /// The path it names.
        public var path: String {
            switch self {
            case .create(let create): create.path
            case .delete(let path, _), .setData(let path, _, _), .check(let path, _): path
            }
        }
    }

    /// A request that goes through the log: everything that changes the tree.
    public enum WriteRequest: Sendable, Hashable {
        /// One operation.
        case single(WriteOperation)
        /// Sets a node's ACL if its ACL version is `version` (-1: any).
        case setACL(path: String, acl: [ACL], version: Int32)
        /// Operations applied together or not at all.
        case multi([WriteOperation])

        /// The op code of the request.
        public var opCode: OpCode {
            switch self {
            case .single(let operation): operation.opCode
            case .setACL: .setACL
            case .multi: .multi
            }
        }
    }

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
