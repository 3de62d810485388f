extension ZooKeeper {
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
}
