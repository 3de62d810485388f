import ConcordFoundation
/// The store's snapshot format (version 1), what Raft ships to a lagging
/// replica and what a restarting server loads:
///
///     snapshot   = version:u8(1) currentRevision:sint compactedRevision:sint
///                  count lease:sint*  count key*
///     key        = key:bytes count generation*
///     generation = createRevision:sint count keyVersion* hasTombstone:u8 [main:sint sub:sint]
///     keyVersion = main:sint sub:sint version:sint lease:sint value:bytes
///
/// The limits are not part of the snapshot: they are the server's
/// configuration.
extension MVCCStore {
    /// The version byte that starts every snapshot.
    public static let snapshotFormatVersion: UInt8 = 1

    /// The store's complete state as bytes.
    public func snapshot() -> [UInt8] {
        var writer = BinaryWriter(capacity: snapshotBytesBound)
        writer.writeByte(Self.snapshotFormatVersion)
        writer.writeSignedVarint(currentRevision)
        writer.writeSignedVarint(compactedRevision)
        writer.writeVarint(UInt64(leases.count))
        for lease in leases.sorted() {
            writer.writeSignedVarint(lease)
        }
        writer.writeVarint(UInt64(index.count))
        for history in index.entries {
            writer.writeBytes(history.key)
            writer.writeVarint(UInt64(history.generations.count))
            for generation in history.generations {
                writer.writeSignedVarint(generation.createRevision)
                writer.writeVarint(UInt64(generation.versions.count))
                for version in generation.versions {
                    writer.writeSignedVarint(version.revision.main)
                    writer.writeSignedVarint(version.revision.sub)
                    writer.writeSignedVarint(version.version)
                    writer.writeSignedVarint(version.lease)
                    writer.writeBytes(version.value)
                }
                if let tombstone = generation.tombstone {
                    writer.writeByte(1)
                    writer.writeSignedVarint(tombstone.main)
                    writer.writeSignedVarint(tombstone.sub)
                } else {
                    writer.writeByte(0)
                }
            }
        }
        return writer.bytes
    }

    /// An upper bound of `snapshot()`'s length (every integer counted at a
    /// varint's largest, 10 bytes), so that its buffer is allocated once
    /// instead of doubling while it grows.
    public var snapshotBytesBound: Int {
        var bytes = 1 + 3 * 10 + 10 * leases.count
        for history in index.entries {
            bytes += 2 * 10 + history.key.count
            for generation in history.generations {
                bytes += 2 * 10 + 1 + 2 * 10
                for version in generation.versions {
                    bytes += 5 * 10 + version.value.count
                }
            }
        }
        return bytes
    }

    /// Restores a store from `snapshot()`'s bytes.
    /// - Throws: `KVDecodingError` for malformed bytes or a state that
    ///   breaks the store's invariants; nothing is restored then.
    public init(snapshot bytes: [UInt8], limits: KVLimits = KVLimits()) throws(KVDecodingError) {
        var reader = BinaryReader(bytes)
        try self.init(reading: &reader, limits: limits)
        try reader.expectEnd()
    }

    /// Restores a store from `snapshot()`'s bytes where `reader` stands,
    /// reading them in place (no copy of the encoded store is made), and
    /// leaves `reader` after them.
    /// - Throws: `KVDecodingError` as `init(snapshot:limits:)`.
    init(reading reader: inout BinaryReader, limits: KVLimits) throws(KVDecodingError) {
        let version = try reader.byte()
        guard version == Self.snapshotFormatVersion else { throw .unsupportedFormatVersion(version) }
        let current = try reader.signed()
        let compacted = try reader.signed()
        guard current >= Self.initialRevision, compacted >= 0, compacted <= current else {
            throw .inconsistentSnapshot("revisions current \(current), compacted \(compacted)")
        }
        var leases: Set<Int64> = []
        var previousLease: Int64?
        for _ in 0..<(try reader.count()) {
            let lease = try reader.signed()
            if let previousLease, previousLease >= lease { throw .inconsistentSnapshot("leases out of order") }
            previousLease = lease
            leases.insert(lease)
        }
        // The smallest key entry is 2 bytes: a one-byte key and a count.
        let keyCount = try reader.count(minimumBytes: 2)
        var entries: [KeyHistory] = []
        entries.reserveCapacity(keyCount)
        for _ in 0..<keyCount {
            let history = try Self.readHistory(&reader, currentRevision: current)
            if let previous = entries.last, !previous.key.lexicographicallyPrecedes(history.key) {
                throw .inconsistentSnapshot("keys out of order")
            }
            entries.append(history)
        }
        self.init(
            limits: limits, currentRevision: current, compactedRevision: compacted, leases: leases,
            index: KeyIndex(sorted: entries))
    }

    private static func readHistory(_ reader: inout BinaryReader, currentRevision: Int64) throws(KVDecodingError) -> KeyHistory {
        let key = try reader.data()
        guard !key.isEmpty else { throw .inconsistentSnapshot("empty key") }
        var generations: [KeyGeneration] = []
        var last = Revision(main: 0, sub: 0)
        let generationCount = try reader.count(minimumBytes: 3)
        guard generationCount > 0 else { throw .inconsistentSnapshot("key without history") }
        for _ in 0..<generationCount {
            if let previous = generations.last, previous.tombstone == nil {
                throw .inconsistentSnapshot("a live generation before another")
            }
            let createRevision = try reader.signed()
            var versions: [KeyVersion] = []
            let versionCount = try reader.count(minimumBytes: 5)
            guard versionCount > 0 else { throw .inconsistentSnapshot("empty generation") }
            for _ in 0..<versionCount {
                let revision = Revision(main: try reader.signed(), sub: try reader.signed())
                let version = try reader.signed()
                let lease = try reader.signed()
                let value = try reader.data()
                guard revision > last, revision.main <= currentRevision, revision.sub >= 0,
                    version >= 1, (versions.last.map { version > $0.version } ?? true)
                else { throw .inconsistentSnapshot("versions of a key out of order") }
                last = revision
                versions.append(KeyVersion(revision: revision, version: version, value: value, lease: lease))
            }
            guard createRevision >= 1, createRevision <= versions[0].revision.main else {
                throw .inconsistentSnapshot("create revision after the first version")
            }
            var tombstone: Revision?
            switch try reader.byte() {
            case 0: break
            case 1:
                let revision = Revision(main: try reader.signed(), sub: try reader.signed())
                guard revision > last, revision.main <= currentRevision else {
                    throw .inconsistentSnapshot("tombstone out of order")
                }
                last = revision
                tombstone = revision
            case let tag: throw .unknownTag(field: "tombstone", tag: tag)
            }
            generations.append(KeyGeneration(createRevision: createRevision, versions: versions, tombstone: tombstone))
        }
        return KeyHistory(key: key, generations: generations)
    }
}

extension MVCCStore: Equatable {
    /// Two stores are equal when their histories, revisions, leases and
    /// limits are.
    public static func == (left: MVCCStore, right: MVCCStore) -> Bool {
        left.limits == right.limits && left.currentRevision == right.currentRevision
            && left.compactedRevision == right.compactedRevision && left.leases == right.leases
            && left.index == right.index
    }
}
