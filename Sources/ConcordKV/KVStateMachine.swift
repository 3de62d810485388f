import ConcordFoundation
/// What a server applies its Raft log to: the MVCC store and the lease
/// table together, so that a put with a lease attaches its key, a delete
/// detaches it, and a revoke deletes every attached key in one revision.
///
/// Every apply returns the events the command produced, for
/// `WatchHub.onApplied(revision:events:)`.
public struct KVStateMachine: Sendable {
    /// The key-value store.
    public private(set) var store: MVCCStore
    /// The leases.
    public private(set) var leases: LeaseTable

    /// Creates an empty state machine.
    public init(limits: KVLimits = KVLimits(), ttlSecondsMin: Int64 = 2) {
        store = MVCCStore(limits: limits)
        leases = LeaseTable(ttlSecondsMin: ttlSecondsMin)
    }

    /// What applying a command returned.
    public enum Result: Sendable, Hashable {
        /// A key-value command's result.
        case kv(KVResult)
        /// A granted lease and its TTL (after raising to the minimum).
        case granted(id: Int64, ttlSeconds: Int64)
        /// A revoked lease; `revision` is the store's revision after it.
        case revoked(id: Int64, revision: Int64)
    }

    /// Why a command was refused; nothing changed.
    public enum Failure: Error, Sendable, Hashable {
        /// The store refused a key-value command.
        case kv(KVError)
        /// The lease table refused a lease command.
        case lease(LeaseError)
    }

    /// Applies a command from the log.
    /// - Parameter nowMilliseconds: the leader's clock, used only for the
    ///   expiry of a lease granted while this node leads.
    /// - Returns: the result and the events (ordered) of the revision the
    ///   command created, if any.
    public mutating func apply(_ command: StoreCommand, nowMilliseconds: Int64 = 0) throws(Failure) -> (result: Result, events: [WatchEvent]) {
        switch command {
        case .kv(let command):
            let before = store.currentRevision
            let result: KVResult
            do {
                result = try store.apply(command)
            } catch {
                throw .kv(error)
            }
            let events = store.currentRevision > before ? store.events(of: command, at: store.currentRevision) : []
            track(events)
            return (.kv(result), events)
        case .lease(.grant(let id, let ttl)):
            let granted: Int64
            do {
                granted = try leases.checkGrant(id: id, ttlSeconds: ttl)
            } catch {
                throw .lease(error)
            }
            leases.grant(id: id, ttlSeconds: granted, nowMilliseconds: nowMilliseconds)
            store.leases.insert(id)
            return (.granted(id: id, ttlSeconds: granted), [])
        case .lease(.revoke(let id)):
            guard let entry = leases.remove(id) else { throw .lease(.leaseNotFound) }
            store.leases.remove(id)
            let keys = entry.keys.sorted { $0.lexicographicallyPrecedes($1) }
            let events = store.deleteKeys(keys)
            return (.revoked(id: id, revision: store.currentRevision), events)
        }
    }

    /// Keeps the lease table's key sets in step with the store's puts and
    /// deletes.
    private mutating func track(_ events: [WatchEvent]) {
        for event in events {
            let previous = event.prevKV?.lease ?? 0
            switch event.kind {
            case .put: leases.attach(key: event.kv.key, from: previous, to: event.kv.lease)
            case .delete: leases.attach(key: event.kv.key, from: previous, to: 0)
            }
        }
    }

    /// Forwards a leadership change to the lease table (see
    /// `LeaseTable.onBecameLeader`).
    public mutating func onBecameLeader(nowMilliseconds: Int64, extendMilliseconds: Int64) {
        leases.onBecameLeader(nowMilliseconds: nowMilliseconds, extendMilliseconds: extendMilliseconds)
    }

    /// Forwards a loss of leadership to the lease table.
    public mutating func onBecameFollower() {
        leases.onBecameFollower()
    }

    /// A keep-alive on the leader (not replicated, as in etcd).
    public mutating func renew(_ id: Int64, nowMilliseconds: Int64) throws(LeaseError) -> Int64 {
        try leases.renew(id, nowMilliseconds: nowMilliseconds)
    }

    /// The leases the leader should propose to revoke now.
    public mutating func expiredLeases(nowMilliseconds: Int64, max: Int = 1000) -> [Int64] {
        leases.expiredLeases(nowMilliseconds: nowMilliseconds, max: max)
    }

    // MARK: - Snapshot

    /// The snapshot format's version byte.
    public static let snapshotFormatVersion: UInt8 = 1

    /// The replicated state as bytes (expiry instants are the leader's and
    /// are not included):
    ///
    ///     snapshot = version:u8(1) store:bytes count (id:sint ttlSeconds:sint)*
    ///
    /// where `store` is `MVCCStore.snapshot()`. Attached keys are not
    /// stored: they are the live keys whose lease is non-zero.
    public func snapshot() -> [UInt8] {
        let storeBytes = store.snapshot()
        // Sized once: a growing buffer would hold up to twice the store's
        // bytes while it doubles, beside them.
        var writer = BinaryWriter(capacity: storeBytes.count + snapshotBytesBound - store.snapshotBytesBound)
        writer.writeByte(Self.snapshotFormatVersion)
        writer.writeBytes(storeBytes)
        writer.writeVarint(UInt64(leases.entries.count))
        for id in leases.leaseIDs {
            writer.writeSignedVarint(id)
            writer.writeSignedVarint(leases.entries[id]!.ttlSeconds)
        }
        return writer.bytes
    }

    /// An upper bound of `snapshot()`'s length, computed without encoding
    /// (see `MVCCStore.snapshotBytesBound`).
    public var snapshotBytesBound: Int {
        1 + 10 + store.snapshotBytesBound + 10 + 20 * leases.entries.count
    }

    /// Restores a state machine from `snapshot()`'s bytes, as a follower
    /// (no expiry tracked until `onBecameLeader`).
    /// - Throws: `KVDecodingError`; nothing is restored then.
    public init(snapshot bytes: [UInt8], limits: KVLimits = KVLimits(), ttlSecondsMin: Int64 = 2) throws(KVDecodingError) {
        var reader = BinaryReader(bytes)
        try self.init(reading: &reader, limits: limits, ttlSecondsMin: ttlSecondsMin)
    }

    /// Restores a state machine from `snapshot()`'s bytes that run from
    /// where `reader` stands to its end, reading them in place: the store's
    /// bytes are decoded where they lie instead of being copied out first
    /// (a snapshot of a large store would otherwise be held twice while it
    /// is decoded).
    /// - Throws: `KVDecodingError`; nothing is restored then.
    public init(reading reader: inout BinaryReader, limits: KVLimits = KVLimits(), ttlSecondsMin: Int64 = 2) throws(KVDecodingError) {
        let version = try reader.byte()
        guard version == Self.snapshotFormatVersion else { throw .unsupportedFormatVersion(version) }
        let storeBytes = try reader.count()
        let storeEnd = reader.offset + storeBytes
        let store = try MVCCStore(reading: &reader, limits: limits)
        guard reader.offset == storeEnd else {
            throw .inconsistentSnapshot("the store's length says \(storeBytes) bytes, its contents end at \(reader.offset - (storeEnd - storeBytes))")
        }
        var table = LeaseTable(ttlSecondsMin: ttlSecondsMin)
        for _ in 0..<(try reader.count(minimumBytes: 2)) {
            let id = try reader.signed()
            let ttl = try reader.signed()
            guard id != 0, ttl >= 1, table.entries[id] == nil else { throw .inconsistentSnapshot("lease \(id) with TTL \(ttl)") }
            table.entries[id] = LeaseTable.Entry(ttlSeconds: ttl)
        }
        try reader.expectEnd()
        guard Set(table.entries.keys) == store.leases else { throw .inconsistentSnapshot("lease tables differ") }
        for history in store.index.entries {
            guard let latest = history.latest, latest.lease != 0 else { continue }
            guard table.entries[latest.lease] != nil else { throw .inconsistentSnapshot("key on unknown lease") }
            table.entries[latest.lease]!.keys.insert(latest.key)
        }
        self.store = store
        self.leases = table
    }
}

extension KVStateMachine: Equatable {
    /// Equal replicated state: stores, leases, TTLs and keys (not expiry).
    public static func == (left: KVStateMachine, right: KVStateMachine) -> Bool {
        left.store == right.store && left.leases.ttlSecondsMin == right.leases.ttlSecondsMin
            && left.leases.entries.mapValues { [$0.ttlSeconds: $0.keys] } == right.leases.entries.mapValues { [$0.ttlSeconds: $0.keys] }
    }
}

extension MVCCStore {
    /// Deletes existing keys in one write transaction (a lease revoke).
    /// - Returns: the delete events, in sub-revision order.
    mutating func deleteKeys(_ keys: [[UInt8]]) -> [WatchEvent] {
        var write = WriteBatch(beginRevision: currentRevision)
        for key in keys {
            _ = deleteRange(DeleteRangeRequest(key: key), &write)
        }
        finish(write)
        guard write.changes > 0 else { return [] }
        var events: [WatchEvent] = []
        for key in keys {
            for position in index.positions(key: key, rangeEnd: []) {
                Self.appendEvents(of: index[position], revisions: currentRevision...currentRevision, to: &events)
            }
        }
        return events.sorted { $0.subRevision < $1.subRevision }
    }
}
