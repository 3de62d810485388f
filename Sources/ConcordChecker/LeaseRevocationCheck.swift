/// Lease safety as clients can see it: no key outlives its lease.
///
/// Once a lease's revoke has been acknowledged, every linearizable read
/// invoked afterwards must miss the keys that were attached to it; once a
/// lease has expired (its TTL passed, without renewals, by a stated
/// deadline), reads invoked after that deadline must miss its keys too. The
/// check takes what clients recorded, on one clock of true time
/// (nanoseconds), and names every read that saw a key it should not have.
public enum LeaseRevocationCheck {
    /// What the clients of one run learned.
    public struct Record: Sendable, Hashable {
        /// The lease each key was attached to (a key is attached once).
        public private(set) var attachments: [String: Int64] = [:]
        /// When each revoke was acknowledged.
        public private(set) var revocations: [Int64: Int64] = [:]
        /// By when each key must be gone because its lease expired.
        public private(set) var expiryDeadlines: [String: Int64] = [:]
        /// Linearizable reads of attached keys.
        public private(set) var reads: [Read] = []

        /// A linearizable read of one key.
        public struct Read: Sendable, Hashable {
            public var key: String
            public var present: Bool
            public var invokedAt: Int64
            public var completedAt: Int64
        }

        /// An empty record.
        public init() {}

        /// `key` was put with `lease` attached, and the put acknowledged.
        public mutating func attached(key: String, lease: Int64) {
            attachments[key] = lease
        }

        /// The revoke of `lease` was acknowledged at `acknowledgedAt`.
        public mutating func revoked(lease: Int64, acknowledgedAt: Int64) {
            revocations[lease] = min(revocations[lease] ?? .max, acknowledgedAt)
        }

        /// `key`'s lease was left to expire; it must be gone by `deadline`.
        public mutating func mustExpire(key: String, by deadline: Int64) {
            expiryDeadlines[key] = deadline
        }

        /// A linearizable read of `key` found it (`present`) or not.
        public mutating func read(key: String, present: Bool, invokedAt: Int64, completedAt: Int64) {
            reads.append(Read(key: key, present: present, invokedAt: invokedAt, completedAt: completedAt))
        }

        /// Everything `other` recorded, added to this record.
        public mutating func merge(_ other: Record) {
            attachments.merge(other.attachments) { $1 }
            for (lease, time) in other.revocations { revoked(lease: lease, acknowledgedAt: time) }
            expiryDeadlines.merge(other.expiryDeadlines) { min($0, $1) }
            reads += other.reads
        }
    }

    /// The reads that saw a key after its lease was revoked or expired.
    public static func violations(_ record: Record) -> [String] {
        var found: [String] = []
        for read in record.reads where read.present {
            if let lease = record.attachments[read.key], let revokedAt = record.revocations[lease], read.invokedAt > revokedAt {
                found.append("\(read.key) read at \(read.invokedAt) ns after lease \(lease) was revoked at \(revokedAt) ns")
            } else if let deadline = record.expiryDeadlines[read.key], read.invokedAt > deadline {
                found.append("\(read.key) read at \(read.invokedAt) ns after its lease had to expire by \(deadline) ns")
            }
        }
        return found
    }
}
