import ConcordFoundation
import ConcordKV

/// A lease keep-alive or time-to-live that a follower forwards to the
/// leader. Keep-alives and time-to-live queries are answered from the
/// leader's in-memory expiry times, not through the log, so a follower asks
/// the leader directly over the peer connection (etcd forwards them over its
/// peer HTTP API the same way).
public enum LeaseForwardRequest: Sendable, Hashable {
    /// Renew lease `leaseID` (etcd's LeaseKeepAlive).
    case keepAlive(leaseID: Int64)
    /// Report lease `leaseID`'s remaining and granted TTL, and its keys
    /// when `keys` is true (etcd's LeaseTimeToLive).
    case timeToLive(leaseID: Int64, keys: Bool)
}

/// The leader's answer to a `LeaseForwardRequest`.
public enum LeaseForwardResponse: Sendable, Hashable {
    /// The lease was renewed for this many seconds.
    case renewed(ttlSeconds: Int64)
    /// The lease's status.
    case timeToLive(LeaseTimeToLive)
    /// The request was refused (an unknown lease, or the receiver is not
    /// the leader).
    case refused(LeaseError)

    /// Whether this is an answer of the kind `request` asks for.
    func answers(_ request: LeaseForwardRequest) -> Bool {
        switch (request, self) {
        case (_, .refused), (.keepAlive, .renewed), (.timeToLive, .timeToLive): true
        default: false
        }
    }
}

/// The bodies of `PeerFrame.leaseRequest` and `.leaseResponse`.
///
/// Layout after the frame header: the request id (8 bytes), a tag byte,
/// then:
/// - 1, keep-alive request: the lease id (8 bytes);
/// - 2, time-to-live request: the lease id, then the keys flag (1 byte);
/// - 3, renewed: the TTL in seconds (8 bytes);
/// - 4, time-to-live: the lease id, remaining TTL and granted TTL (8 bytes
///   each), the key count (4 bytes) and each key as a 4-byte length then
///   its bytes;
/// - 5, refused: an error code byte (1 lease not found, 2 lease exists,
///   3 TTL too large, 4 not leader).
enum LeaseForwardCoding {
    enum Tag: UInt8 {
        case keepAlive = 1, timeToLive, renewed, status, refused
    }

    /// The wire code of each `LeaseError`, fixed here so that reordering the
    /// enum never changes the format.
    static func code(of error: LeaseError) -> UInt8 {
        switch error {
        case .leaseNotFound: 1
        case .leaseExists: 2
        case .ttlTooLarge: 3
        case .notLeader: 4
        }
    }

    static func error(code: UInt8) -> LeaseError? {
        LeaseError.allCases.first { self.code(of: $0) == code }
    }

    static func write(_ request: LeaseForwardRequest, to writer: inout BinaryWriter) {
        switch request {
        case .keepAlive(let leaseID):
            writer.writeByte(Tag.keepAlive.rawValue)
            writer.writeFixed(leaseID)
        case .timeToLive(let leaseID, let keys):
            writer.writeByte(Tag.timeToLive.rawValue)
            writer.writeFixed(leaseID)
            writer.writeBool(keys)
        }
    }

    static func write(_ response: LeaseForwardResponse, to writer: inout BinaryWriter) {
        switch response {
        case .renewed(let ttlSeconds):
            writer.writeByte(Tag.renewed.rawValue)
            writer.writeFixed(ttlSeconds)
        case .timeToLive(let status):
            writer.writeByte(Tag.status.rawValue)
            writer.writeFixed(status.id)
            writer.writeFixed(status.ttlSeconds)
            writer.writeFixed(status.grantedTTLSeconds)
            writer.writeFixed(UInt32(status.keys.count))
            for key in status.keys { writer.writeFixedLengthBytes(key) }
        case .refused(let error):
            writer.writeByte(Tag.refused.rawValue)
            writer.writeByte(code(of: error))
        }
    }

    static func readRequest(_ reader: inout BinaryReader) throws(WireError) -> LeaseForwardRequest {
        let tagByte = try reader.wireByte()
        switch Tag(rawValue: tagByte) {
        case .keepAlive: return .keepAlive(leaseID: try reader.wireInt64())
        case .timeToLive:
            let leaseID = try reader.wireInt64()
            return .timeToLive(leaseID: leaseID, keys: try reader.wireBool())
        default: throw .invalid("unknown lease forwarding request tag \(tagByte)")
        }
    }

    static func readResponse(_ reader: inout BinaryReader) throws(WireError) -> LeaseForwardResponse {
        let tagByte = try reader.wireByte()
        switch Tag(rawValue: tagByte) {
        case .renewed: return .renewed(ttlSeconds: try reader.wireInt64())
        case .status:
            let id = try reader.wireInt64()
            let remaining = try reader.wireInt64()
            let granted = try reader.wireInt64()
            // Each key takes at least its 4-byte length: refuse absurd counts early.
            let count = try reader.wireItemCount(minimumBytes: 4, of: "key")
            var keys: [[UInt8]] = []
            keys.reserveCapacity(count)
            for _ in 0..<count { keys.append(try reader.wireBytes()) }
            return .timeToLive(LeaseTimeToLive(id: id, ttlSeconds: remaining, grantedTTLSeconds: granted, keys: keys))
        case .refused:
            let code = try reader.wireByte()
            guard let error = error(code: code) else { throw .invalid("unknown lease error code \(code)") }
            return .refused(error)
        default: throw .invalid("unknown lease forwarding response tag \(tagByte)")
        }
    }
}
