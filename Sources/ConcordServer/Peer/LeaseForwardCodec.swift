import ConcordKV

/// A lease keep-alive or time-to-live that a follower forwards to the
/// leader, and the leader's answer. Keep-alives and time-to-live queries
/// are answered from the leader's in-memory expiry times, not through the
/// Raft log, so a follower asks the leader directly over the peer
/// transport (etcd forwards them over its peer HTTP API the same way).
public struct LeaseForwardMessage: Sendable, Hashable {
    /// What a follower asks.
    public enum Request: Sendable, Hashable {
        /// Renew lease `leaseID` (etcd's LeaseKeepAlive).
        case keepAlive(leaseID: Int64)
        /// Report lease `leaseID`'s remaining and granted TTL, and its keys
        /// when `keys` is true (etcd's LeaseTimeToLive).
        case timeToLive(leaseID: Int64, keys: Bool)
    }

    /// What the leader answers.
    public enum Response: Sendable, Hashable {
        /// The lease was renewed for this many seconds.
        case renewed(ttlSeconds: Int64)
        /// The lease's status.
        case timeToLive(LeaseTimeToLive)
        /// The request was refused (an unknown lease, or the receiver is
        /// not the leader).
        case refused(LeaseError)
    }

    /// A request or its response.
    public enum Body: Sendable, Hashable {
        case request(Request)
        case response(Response)
    }

    /// The sending member.
    public var from: UInt64
    /// The receiving member.
    public var to: UInt64
    /// Chosen by the follower; the response carries it back.
    public var requestID: UInt64
    /// The request or response.
    public var body: Body

    /// Creates a message.
    public init(from: UInt64, to: UInt64, requestID: UInt64, body: Body) {
        self.from = from
        self.to = to
        self.requestID = requestID
        self.body = body
    }
}

/// The peer wire format of `LeaseForwardMessage`.
///
/// Layout: a marker byte (`marker`, 0x4C), a format version byte (1), the
/// cluster id, from, to and the request id (8 bytes each), then a tag byte
/// and the body:
/// - 1, keep-alive request: the lease id (8 bytes);
/// - 2, time-to-live request: the lease id, then the keys flag (1 byte);
/// - 3, renewed: the TTL in seconds (8 bytes);
/// - 4, time-to-live: the lease id, remaining TTL and granted TTL (8 bytes
///   each), the key count (4 bytes) and each key as a 4-byte length then
///   its bytes;
/// - 5, refused: an error code byte (1 lease not found, 2 lease exists,
///   3 TTL too large, 4 not leader).
///
/// Integers are little-endian. The marker is the first byte, where a Raft
/// frame has `RaftMessageCodec.version` (1): a receiver tells the two apart
/// before decoding, and Raft's own layout and version are unchanged. A
/// frame of another cluster, an unknown version, tag or error code, a
/// non-boolean flag, a count beyond the bytes present or any leftover byte
/// is refused with a `WireError`.
public enum LeaseForwardCodec {
    /// The first byte of every lease forwarding frame ("L").
    public static let marker: UInt8 = 0x4C
    /// The format version written and accepted.
    public static let version: UInt8 = 1
    /// The bytes before the tag: marker, version, cluster, from, to, request id.
    static let headerBytes = 2 + 4 * 8

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

    /// Whether `frame` is a lease forwarding frame rather than a Raft one.
    public static func isLeaseForwardFrame(_ frame: [UInt8]) -> Bool {
        frame.first == marker
    }

    /// Encodes a message of cluster `clusterID`.
    public static func encode(_ message: LeaseForwardMessage, clusterID: UInt64) -> [UInt8] {
        var writer = WireWriter(capacity: headerBytes + 32)
        writer.write(marker)
        writer.writePeerHeader(version: version, clusterID: clusterID, from: message.from, to: message.to)
        writer.write(message.requestID)
        switch message.body {
        case .request(.keepAlive(let leaseID)):
            writer.write(Tag.keepAlive.rawValue)
            writer.write(UInt64(bitPattern: leaseID))
        case .request(.timeToLive(let leaseID, let keys)):
            writer.write(Tag.timeToLive.rawValue)
            writer.write(UInt64(bitPattern: leaseID))
            writer.write(keys)
        case .response(.renewed(let ttlSeconds)):
            writer.write(Tag.renewed.rawValue)
            writer.write(UInt64(bitPattern: ttlSeconds))
        case .response(.timeToLive(let status)):
            writer.write(Tag.status.rawValue)
            writer.write(UInt64(bitPattern: status.id))
            writer.write(UInt64(bitPattern: status.ttlSeconds))
            writer.write(UInt64(bitPattern: status.grantedTTLSeconds))
            writer.write(UInt32(status.keys.count))
            for key in status.keys { writer.write(bytes: key) }
        case .response(.refused(let error)):
            writer.write(Tag.refused.rawValue)
            writer.write(code(of: error))
        }
        return writer.bytes
    }

    /// Decodes a message, refusing one of another cluster.
    /// - Throws: `WireError` for anything malformed.
    public static func decode(_ bytes: [UInt8], clusterID: UInt64) throws(WireError) -> LeaseForwardMessage {
        var reader = WireReader(bytes)
        let first = try reader.readByte()
        guard first == marker else { throw .invalid("not a lease forwarding frame (first byte \(first))") }
        let (from, to) = try reader.readPeerHeader(version: Self.version, clusterID: clusterID, kind: "lease forwarding ")
        let requestID = try reader.readUInt64()
        let tagByte = try reader.readByte()
        guard let tag = Tag(rawValue: tagByte) else { throw .invalid("unknown lease forwarding tag \(tagByte)") }
        let body: LeaseForwardMessage.Body
        switch tag {
        case .keepAlive:
            body = .request(.keepAlive(leaseID: Int64(bitPattern: try reader.readUInt64())))
        case .timeToLive:
            let leaseID = Int64(bitPattern: try reader.readUInt64())
            body = .request(.timeToLive(leaseID: leaseID, keys: try reader.readBool()))
        case .renewed:
            body = .response(.renewed(ttlSeconds: Int64(bitPattern: try reader.readUInt64())))
        case .status:
            let id = Int64(bitPattern: try reader.readUInt64())
            let remaining = Int64(bitPattern: try reader.readUInt64())
            let granted = Int64(bitPattern: try reader.readUInt64())
            let count = Int(try reader.readUInt32())
            // Each key takes at least its 4-byte length: refuse absurd counts early.
            guard count <= reader.remaining / 4 else { throw .invalid("key count \(count) exceeds the message") }
            var keys: [[UInt8]] = []
            keys.reserveCapacity(count)
            for _ in 0..<count { keys.append(try reader.readBytes()) }
            body = .response(.timeToLive(LeaseTimeToLive(id: id, ttlSeconds: remaining, grantedTTLSeconds: granted, keys: keys)))
        case .refused:
            let code = try reader.readByte()
            guard let error = error(code: code) else { throw .invalid("unknown lease error code \(code)") }
            body = .response(.refused(error))
        }
        guard reader.isAtEnd else { throw .invalid("\(reader.remaining) bytes after the message") }
        return LeaseForwardMessage(from: from, to: to, requestID: requestID, body: body)
    }
}
