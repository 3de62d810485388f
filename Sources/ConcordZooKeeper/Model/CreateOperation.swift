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
}
