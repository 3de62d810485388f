extension ZooKeeper {
    /// One entry of a node's access control list (jute `ACL`).
    public struct ACL: Sendable, Hashable, CustomStringConvertible {
        /// What the identity may do.
        public var permissions: Permissions
        /// Who.
        public var identity: Identity

        public init(permissions: Permissions, identity: Identity) {
            self.permissions = permissions
            self.identity = identity
        }

        /// `world:anyone` with every permission (`Ids.OPEN_ACL_UNSAFE`).
        public static let openUnsafe: [ACL] = [ACL(permissions: .all, identity: .anyone)]
        /// `world:anyone` may read (`Ids.READ_ACL_UNSAFE`).
        public static let readUnsafe: [ACL] = [ACL(permissions: .read, identity: .anyone)]
        /// Every permission for the creator's identities (`Ids.CREATOR_ALL_ACL`).
        public static let creatorAll: [ACL] = [ACL(permissions: .all, identity: Identity(scheme: "auth", id: ""))]

        public var description: String { "\(identity): \(permissions)" }
    }
}
