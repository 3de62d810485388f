import ConcordFoundation
import ConcordClocks

/// What a client session has seen, carried by the client from reply to
/// request (Terry et al., "Session Guarantees for Weakly Consistent
/// Replicated Data", PDIS 1994): for each key it touched, the version of
/// the copy it read or wrote; for each key in the causal past of what it
/// saw, the version it depends on; and the greatest hybrid timestamp it met.
///
/// A coordinator honours the token whatever the consistency level, R = 1
/// included:
/// - a read answers only once the copies it gathered cover the token's
///   version of the key, asking every member (fallbacks and their hints
///   included) when the preferred replicas lag, and fails rather than go
///   back (read-your-writes, monotonic reads);
/// - a write is made in the context of everything the session saw or
///   depends on of the key, so it supersedes it (monotonic writes, writes
///   follow reads); a last-writer-wins write is stamped after the token's
///   timestamp; a CRDT update first brings the coordinator's copy up to
///   the token.
///
/// Every reply returns the token extended with what that reply showed the
/// client (a write's reply shows the coordinator's whole copy after the
/// write), and, in causal mode, with the dependencies of what it showed.
/// Across keys, the guarantees need causal mode (``RequestConsistency/causal``).
///
/// A key's copy can be replaced whole: by a later generation (an update
/// that re-creates a deleted key as an earlier kind) or, within one
/// generation, by a later kind (see ``StoredObject/stage``). The new copy's
/// version starts afresh and cannot cover the old one's, so the token keeps
/// the stage it saw of each key too: a copy of a later stage covers
/// whatever the session saw of an earlier one.
///
/// The token keeps the `keysMax` most recently touched keys of each kind;
/// an older key drops out, and with it the guarantees on that key.
public struct SessionToken: Hashable, Sendable {
    /// The most keys a token tracks, of each kind.
    public static let keysMax = 256

    /// The version seen of each key the session read or wrote.
    public private(set) var seen = VersionsByKey(keysMax: keysMax)
    /// The version of each key in the causal past of what the session saw
    /// (the dependencies of the values it read), in causal mode.
    public private(set) var inherited = VersionsByKey(keysMax: keysMax)
    /// The greatest hybrid timestamp seen (of a last-writer-wins write).
    public private(set) var latestTimestamp: HybridTimestamp = .zero

    /// A session that has seen nothing.
    public init() {}

    /// The version the session has seen of `key` (empty if untracked):
    /// what its reads of the key must cover, in the key's stage.
    public func version(of key: ByteString) -> VersionVector {
        seen[key]
    }

    /// The stage of `key` the session has seen (0 if untracked).
    public func stage(of key: ByteString) -> UInt64 {
        seen.stage(of: key)
    }

    /// Whether a copy of `key` at `stage` with `version` shows everything
    /// the session saw of the key: a later stage does; the same stage does
    /// when its version covers the session's.
    public func isCovered(_ key: ByteString, stage: UInt64, version: VersionVector) -> Bool {
        let seenStage = seen.stage(of: key)
        if stage != seenStage { return stage > seenStage }
        return version.covers(seen[key])
    }

    /// Everything the session saw or depends on of `key`: the context of
    /// its writes of the key.
    public func writeContext(for key: ByteString) -> VersionVector {
        seen[key].merging(inherited[key])
    }

    /// Records that the session saw `version` of `key` at `stage`.
    public mutating func observe(_ key: ByteString, version: VersionVector, stage: UInt64 = 0) {
        seen.merge(key, version, stage: stage)
    }

    /// Records that what the session saw depends on these versions.
    public mutating func inherit(_ dependencies: [Dependency]) {
        for dependency in dependencies { inherited.merge(dependency.key, dependency.version) }
    }

    /// Records that the session saw a write stamped `timestamp`.
    public mutating func observe(timestamp: HybridTimestamp) {
        latestTimestamp = max(latestTimestamp, timestamp)
    }

    /// Joins another token of the same session (for example one returned by
    /// a concurrent request).
    public mutating func merge(_ other: SessionToken) {
        for key in other.seen.recency { seen.merge(key, other.seen[key], stage: other.seen.stage(of: key)) }
        for key in other.inherited.recency { inherited.merge(key, other.inherited[key]) }
        observe(timestamp: other.latestTimestamp)
    }

    /// The session's causal past: every key it saw or depends on, with the
    /// version, by key. A causal write carries these as its dependencies.
    public var dependencies: [Dependency] {
        let keys = Set(seen.recency).union(inherited.recency).sorted()
        return keys.map { Dependency(key: $0, version: writeContext(for: $0)) }
    }
}

/// Versions by key, keeping the most recently merged `keysMax` keys.
public struct VersionsByKey: Hashable, Sendable {
    /// The most keys kept.
    public let keysMax: Int
    /// The version of each key kept.
    public private(set) var versions: [ByteString: VersionVector] = [:]
    /// The keys kept, least recently merged first.
    public private(set) var recency: [ByteString] = []
    /// The stage of each key kept whose stage is above 0.
    public private(set) var stages: [ByteString: UInt64] = [:]

    /// An empty map.
    public init(keysMax: Int) {
        self.keysMax = keysMax
    }

    /// The version of `key` (empty if not kept).
    public subscript(key: ByteString) -> VersionVector {
        versions[key] ?? VersionVector()
    }

    /// The stage of `key` (0 if not kept).
    public func stage(of key: ByteString) -> UInt64 {
        stages[key] ?? 0
    }

    /// Merges `version` at `stage` into `key`'s, making it the most recent
    /// key: a later stage replaces what was kept, an earlier one adds
    /// nothing.
    public mutating func merge(_ key: ByteString, _ version: VersionVector, stage: UInt64 = 0) {
        let known = stages[key] ?? 0
        if var kept = versions[key], stage <= known {
            if stage == known { kept.merge(version) }
            versions[key] = kept
            recency.removeAll { $0 == key }
        } else {
            if versions[key] != nil { recency.removeAll { $0 == key } }
            versions[key] = version
            stages[key] = stage > 0 ? stage : nil
        }
        recency.append(key)
        while recency.count > keysMax {
            let dropped = recency.removeFirst()
            versions[dropped] = nil
            stages[dropped] = nil
        }
    }

    /// True when no key is kept.
    public var isEmpty: Bool { recency.isEmpty }
}

/// The count, then each key with its version, least recent first. When a
/// key has a stage above 0, the count carries ``stagesFlag`` and every
/// key's version is followed by its stage (tokens from before stages
/// decode as stage 0).
extension VersionsByKey: BinaryCodable {
    static let stagesFlag: UInt64 = 1 << 20

    public func encode(to writer: inout BinaryWriter) {
        writer.writeVarint(UInt64(recency.count) | (stages.isEmpty ? 0 : Self.stagesFlag))
        for key in recency {
            key.encode(to: &writer)
            versions[key]!.encode(to: &writer)
            if !stages.isEmpty { writer.writeVarint(stage(of: key)) }
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        let header = try reader.readVarint()
        let withStages = header & Self.stagesFlag != 0
        let count = header & ~Self.stagesFlag
        guard count <= UInt64(SessionToken.keysMax), count <= UInt64(reader.remainingCount / 2) else {
            throw .lengthTooLarge(length: count, offset: start)
        }
        self.init(keysMax: SessionToken.keysMax)
        for _ in 0..<count {
            let keyAt = reader.offset
            let key = try ByteString(from: &reader)
            guard versions[key] == nil else { throw .invalidValue("key repeated in session token", offset: keyAt) }
            let version = try VersionVector(from: &reader)
            merge(key, version, stage: withStages ? try reader.readVarint() : 0)
        }
    }
}

extension SessionToken: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        seen.encode(to: &writer)
        inherited.encode(to: &writer)
        latestTimestamp.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init()
        seen = try VersionsByKey(from: &reader)
        inherited = try VersionsByKey(from: &reader)
        latestTimestamp = try HybridTimestamp(from: &reader)
    }
}

/// A causal dependency: a write depends on `key` having reached `version`.
public struct Dependency: Hashable, Sendable, CustomStringConvertible {
    /// The key depended on.
    public var key: ByteString
    /// The version it must have reached.
    public var version: VersionVector

    /// A dependency on `key` at `version`.
    public init(key: ByteString, version: VersionVector) {
        self.key = key
        self.version = version
    }

    public var description: String { "\(key)@\(version)" }
}

extension Dependency: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        key.encode(to: &writer)
        version.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let key = try ByteString(from: &reader)
        self.init(key: key, version: try VersionVector(from: &reader))
    }
}

extension VersionVector {
    /// True when this version is at or above `other` in every entry.
    func covers(_ other: VersionVector) -> Bool {
        other.entries.allSatisfy { self[$0.key] >= $0.value }
    }
}
