extension ZooKeeper {
    /// ZooKeeper's permission bits (`ZooDefs.Perms`).
    public struct Permissions: OptionSet, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// Read a node's data and list its children.
        public static let read = Permissions(rawValue: 1 << 0)
        /// Set a node's data.
        public static let write = Permissions(rawValue: 1 << 1)
        /// Create children.
        public static let create = Permissions(rawValue: 1 << 2)
        /// Delete children.
        public static let delete = Permissions(rawValue: 1 << 3)
        /// Set the node's ACL.
        public static let admin = Permissions(rawValue: 1 << 4)
        /// All five.
        public static let all: Permissions = [.read, .write, .create, .delete, .admin]

        /// The letters zkCli prints (`cdrwa`), in its order.
        public var description: String {
            var letters = ""
            if contains(.create) { letters += "c" }
            if contains(.delete) { letters += "d" }
            if contains(.read) { letters += "r" }
            if contains(.write) { letters += "w" }
            if contains(.admin) { letters += "a" }
            return letters
        }
    }
}
