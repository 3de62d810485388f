import ConcordFoundation
/// The lease changes that go through the Raft log. Keep-alives do not:
/// as in etcd, they renew the leader's in-memory expiry only (see
/// `LeaseTable.renew(_:nowMilliseconds:)`).
public enum LeaseCommand: Sendable, Hashable {
    /// Grants lease `id` (chosen by the leader before proposing when the
    /// client gave 0) with a TTL in seconds.
    case grant(id: Int64, ttlSeconds: Int64)
    /// Revokes a lease and deletes its keys in one revision; the leader
    /// also proposes it when the lease expires.
    case revoke(id: Int64)
}

/// Everything the key-value state machine applies from the log: etcd's KV
/// writes and lease changes.
///
/// Encoding (format version 1, shared with `KVCommand`): a key-value
/// command is exactly `KVCommand.encoded()` (tags 1–4); lease commands use
/// the tags `KVCommand` reserves:
///
///     grant  = version:u8(1) tag:u8(5) id:sint ttlSeconds:sint
///     revoke = version:u8(1) tag:u8(6) id:sint
public enum StoreCommand: Sendable, Hashable {
    /// A key-value write.
    case kv(KVCommand)
    /// A lease change.
    case lease(LeaseCommand)

    static let grantTag: UInt8 = 5
    static let revokeTag: UInt8 = 6

    /// The command's log entry bytes.
    public func encoded() -> [UInt8] {
        switch self {
        case .kv(let command):
            return command.encoded()
        case .lease(let command):
            var writer = BinaryWriter()
            writer.writeByte(KVCommand.formatVersion)
            switch command {
            case .grant(let id, let ttl):
                writer.writeByte(Self.grantTag)
                writer.writeSignedVarint(id)
                writer.writeSignedVarint(ttl)
            case .revoke(let id):
                writer.writeByte(Self.revokeTag)
                writer.writeSignedVarint(id)
            }
            return writer.bytes
        }
    }

    /// Decodes a command from its log entry bytes.
    /// - Throws: `KVDecodingError` for anything `encoded()` cannot produce.
    public init(decoding bytes: [UInt8]) throws(KVDecodingError) {
        var reader = BinaryReader(bytes)
        let version = try reader.byte()
        guard version == KVCommand.formatVersion else { throw .unsupportedFormatVersion(version) }
        let tag = try reader.byte()
        switch tag {
        case Self.grantTag:
            let id = try reader.signed()
            let ttl = try reader.signed()
            try reader.expectEnd()
            self = .lease(.grant(id: id, ttlSeconds: ttl))
        case Self.revokeTag:
            let id = try reader.signed()
            try reader.expectEnd()
            self = .lease(.revoke(id: id))
        default:
            self = .kv(try KVCommand(decoding: bytes))
        }
    }
}
