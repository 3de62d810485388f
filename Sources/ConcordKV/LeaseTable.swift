/// etcd's lessor as a pure value: the granted leases, the keys attached to
/// each, and (on the leader only) when each expires.
///
/// Two kinds of state live here. The leases, their TTLs and their keys are
/// replicated: every replica reaches the same table by applying the same
/// commands. Expiry instants are the leader's alone, in milliseconds of the
/// leader's monotonic clock passed in as `nowMilliseconds`; a follower keeps
/// none (its leases never expire by themselves), so expiry is decided only
/// by the leader, through `expiredLeases(nowMilliseconds:max:)` and a
/// replicated `LeaseCommand.revoke`.
public struct LeaseTable: Sendable {
    /// The largest TTL a grant may ask for, in seconds (etcd's
    /// `MaxLeaseTTL`).
    public static let ttlSecondsMax: Int64 = 9_000_000_000
    /// How long after reporting a lease expired the leader waits before
    /// reporting it again if no revoke was applied (etcd's
    /// `expiredLeaseRetryInterval`).
    public static let expiredRetryMilliseconds: Int64 = 3_000

    /// Grants with a smaller TTL (including zero and negative ones) get
    /// this one, in seconds. etcd derives it from the election timeout:
    /// ceil(1.5 × election timeout), 2 s with its defaults.
    public let ttlSecondsMin: Int64
    /// Whether this node is the leader and tracks expiry.
    public private(set) var isPrimary = false
    var entries: [Int64: Entry] = [:]

    struct Entry: Sendable, Hashable {
        var ttlSeconds: Int64
        var keys: Set<[UInt8]> = []
        /// Leader only: when the lease expires.
        var expiryMilliseconds: Int64?
        /// Leader only: when the lease was last reported expired.
        var reportedExpiredMilliseconds: Int64?
    }

    /// Creates an empty table.
    public init(ttlSecondsMin: Int64 = 2) {
        precondition(ttlSecondsMin >= 1, "the minimum TTL is at least a second")
        self.ttlSecondsMin = ttlSecondsMin
    }

    /// The IDs of the granted leases, ascending (etcd's `LeaseLeases`).
    public var leaseIDs: [Int64] { entries.keys.sorted() }

    /// The granted TTL of a lease, or nil.
    public func grantedTTLSeconds(_ id: Int64) -> Int64? { entries[id]?.ttlSeconds }

    /// The keys attached to a lease, sorted, or nil for an unknown lease.
    public func keys(_ id: Int64) -> [[UInt8]]? {
        entries[id].map { $0.keys.sorted { $0.lexicographicallyPrecedes($1) } }
    }

    /// An ID no lease uses, for the leader to put in a grant whose client
    /// gave 0: positive, drawn from `generator`.
    public func unusedID(using generator: inout some RandomNumberGenerator) -> Int64 {
        while true {
            let id = Int64.random(in: 1...Int64.max, using: &generator)
            if entries[id] == nil { return id }
        }
    }

    /// The TTL a grant gets: etcd raises short (or negative) TTLs to the
    /// minimum.
    /// - Throws: `.leaseNotFound` for ID 0, `.ttlTooLarge`, `.leaseExists`.
    public func checkGrant(id: Int64, ttlSeconds: Int64) throws(LeaseError) -> Int64 {
        guard id != 0 else { throw .leaseNotFound }
        guard ttlSeconds <= Self.ttlSecondsMax else { throw .ttlTooLarge }
        guard entries[id] == nil else { throw .leaseExists }
        return max(ttlSeconds, ttlSecondsMin)
    }

    mutating func grant(id: Int64, ttlSeconds: Int64, nowMilliseconds: Int64) {
        precondition(entries[id] == nil, "a checked grant")
        let expiry = isPrimary ? nowMilliseconds + ttlSeconds * 1000 : nil
        entries[id] = Entry(ttlSeconds: ttlSeconds, expiryMilliseconds: expiry)
    }

    mutating func remove(_ id: Int64) -> Entry? {
        entries.removeValue(forKey: id)
    }

    /// Moves a key from its previous lease (if any) to `lease` (if not 0).
    mutating func attach(key: [UInt8], from previous: Int64, to lease: Int64) {
        guard previous != lease else { return }
        if previous != 0 { entries[previous]?.keys.remove(key) }
        if lease != 0 { entries[lease]?.keys.insert(key) }
    }

    // MARK: - Leader only

    /// This node became leader: it tracks expiry from now on, and every
    /// lease gets its full TTL plus `extendMilliseconds` (etcd's `Promote`
    /// with the election timeout), so no lease expires because of the time
    /// the election took.
    public mutating func onBecameLeader(nowMilliseconds: Int64, extendMilliseconds: Int64) {
        isPrimary = true
        for id in entries.keys {
            entries[id]!.expiryMilliseconds = nowMilliseconds + extendMilliseconds + entries[id]!.ttlSeconds * 1000
            entries[id]!.reportedExpiredMilliseconds = nil
        }
    }

    /// This node is no longer leader: it forgets expiry (etcd's `Demote`).
    public mutating func onBecameFollower() {
        isPrimary = false
        for id in entries.keys {
            entries[id]!.expiryMilliseconds = nil
            entries[id]!.reportedExpiredMilliseconds = nil
        }
    }

    /// A keep-alive: the lease's expiry restarts from now.
    /// - Returns: the TTL the client is told, in seconds.
    /// - Throws: `.notLeader` on a follower; `.leaseNotFound` for an unknown
    ///   lease or one already expired (its revoke is on the way).
    public mutating func renew(_ id: Int64, nowMilliseconds: Int64) throws(LeaseError) -> Int64 {
        guard isPrimary else { throw .notLeader }
        guard var entry = entries[id] else { throw .leaseNotFound }
        if let expiry = entry.expiryMilliseconds, expiry <= nowMilliseconds { throw .leaseNotFound }
        entry.expiryMilliseconds = nowMilliseconds + entry.ttlSeconds * 1000
        entry.reportedExpiredMilliseconds = nil
        entries[id] = entry
        return entry.ttlSeconds
    }

    /// A time-to-live query, answered by the leader.
    /// - Returns: remaining seconds (rounded down, 0 once expired), the
    ///   granted TTL and, when asked, the attached keys.
    /// - Throws: `.notLeader` on a follower, `.leaseNotFound` (the server
    ///   answers TTL -1 then, as etcd does).
    public func timeToLive(_ id: Int64, nowMilliseconds: Int64, keys withKeys: Bool) throws(LeaseError) -> LeaseTimeToLive {
        guard isPrimary else { throw .notLeader }
        guard let entry = entries[id] else { throw .leaseNotFound }
        let remaining = max(0, ((entry.expiryMilliseconds ?? nowMilliseconds) - nowMilliseconds) / 1000)
        return LeaseTimeToLive(
            id: id, ttlSeconds: remaining, grantedTTLSeconds: entry.ttlSeconds, keys: withKeys ? keys(id)! : [])
    }

    /// The leases the leader should now propose to revoke: expired ones,
    /// earliest expiry first, at most `max` (etcd limits revokes per
    /// second). A lease reported is not reported again for
    /// `expiredRetryMilliseconds` unless its revoke is applied first.
    public mutating func expiredLeases(nowMilliseconds: Int64, max: Int = 1000) -> [Int64] {
        guard isPrimary else { return [] }
        let due = entries.compactMap { id, entry -> (Int64, Int64)? in
            guard let expiry = entry.expiryMilliseconds, expiry <= nowMilliseconds else { return nil }
            if let reported = entry.reportedExpiredMilliseconds,
                nowMilliseconds < reported + Self.expiredRetryMilliseconds
            {
                return nil
            }
            return (expiry, id)
        }.sorted { $0 < $1 }.prefix(max)
        for (_, id) in due { entries[id]!.reportedExpiredMilliseconds = nowMilliseconds }
        return due.map(\.1)
    }
}

/// The answer to etcd's `LeaseTimeToLive`.
public struct LeaseTimeToLive: Sendable, Hashable {
    /// The lease.
    public var id: Int64
    /// Seconds left before it expires.
    public var ttlSeconds: Int64
    /// The TTL it was granted.
    public var grantedTTLSeconds: Int64
    /// Its keys, sorted, when asked for.
    public var keys: [[UInt8]]

    /// Creates an answer.
    public init(id: Int64, ttlSeconds: Int64, grantedTTLSeconds: Int64, keys: [[UInt8]]) {
        self.id = id
        self.ttlSeconds = ttlSeconds
        self.grantedTTLSeconds = grantedTTLSeconds
        self.keys = keys
    }
}
