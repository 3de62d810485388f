extension ZooKeeper {
    /// An identity in an authentication scheme (jute `Id`): `world:anyone`,
    /// `digest:user:base64(sha1(user:password))`, or the `auth` placeholder
    /// that a create or setACL expands to the caller's identities.
    public struct Identity: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// The scheme: `world`, `digest`, `auth`.
        public var scheme: String
        /// The identity within the scheme.
        public var id: String

        public init(scheme: String, id: String) {
            self.scheme = scheme
            self.id = id
        }

        /// Everyone.
        public static let anyone = Identity(scheme: "world", id: "anyone")

        public var description: String { "\(scheme):\(id)" }

        public static func < (left: Identity, right: Identity) -> Bool {
            (left.scheme, left.id) < (right.scheme, right.id)
        }
    }
}
