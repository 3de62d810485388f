extension ZooKeeper {
    /// How a node is created (`CreateMode`, by its wire flag).
    public enum CreateMode: Int32, Sendable, Hashable, CaseIterable {
        case persistent = 0
        case ephemeral = 1
        case persistentSequential = 2
        case ephemeralSequential = 3
        /// A node the leader deletes once its last child is gone.
        case container = 4
        /// A node the leader deletes once it has had no children and no
        /// change for its time to live.
        case persistentWithTTL = 5
        case persistentSequentialWithTTL = 6

        /// Whether the node dies with its session.
        public var isEphemeral: Bool { self == .ephemeral || self == .ephemeralSequential }
        /// Whether the name gets the parent's ten-digit counter appended.
        public var isSequential: Bool {
            self == .persistentSequential || self == .ephemeralSequential || self == .persistentSequentialWithTTL
        }
        /// Whether it is a container.
        public var isContainer: Bool { self == .container }
        /// Whether it has a time to live.
        public var isTTL: Bool { self == .persistentWithTTL || self == .persistentSequentialWithTTL }
    }

    /// What a node's `ephemeralOwner` says about it (`EphemeralType`): 0 for a
    /// persistent node, a session id for an ephemeral one, the lowest
    /// 64-bit integer for a container, and for a TTL node the high byte 0xFF
    /// over the time to live in milliseconds (40 bits).
    public enum EphemeralOwner {
        /// A container's owner (`Long.MIN_VALUE`).
        public static let container: Int64 = .min
        /// The mask of the high byte that marks an extended owner.
        static let extendedMask: UInt64 = 0xFF00_0000_0000_0000
        /// The largest time to live, in milliseconds (`EphemeralType.TTL`'s maximum).
        public static let ttlMillisecondsMax: Int64 = 0xFF_FFFF_FFFF

        /// The owner that marks a TTL node.
        public static func ttl(milliseconds: Int64) -> Int64 {
            precondition(milliseconds > 0 && milliseconds <= ttlMillisecondsMax, "TTL out of range")
            return Int64(bitPattern: extendedMask | UInt64(milliseconds))
        }

        /// A TTL node's time to live, or `nil` if `owner` marks no TTL node.
        public static func ttlMilliseconds(of owner: Int64) -> Int64? {
            let bits = UInt64(bitPattern: owner)
            guard bits & extendedMask == extendedMask, bits & 0x00FF_FF00_0000_0000 == 0 else { return nil }
            let ttl = Int64(bits & 0xFF_FFFF_FFFF)
            return ttl > 0 ? ttl : nil
        }

        /// The session owning an ephemeral node, or `nil` for every other kind.
        public static func session(of owner: Int64) -> Int64? {
            owner > 0 ? owner : nil
        }
    }
}
