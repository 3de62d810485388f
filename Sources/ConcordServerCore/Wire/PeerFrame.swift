import ConcordDynamo
import ConcordFoundation
import ConcordPaxos
import ConcordRaft

/// Everything one Concord server sends another over the peer connection, in
/// one typed, versioned format.
public enum PeerFrame: Sendable, Hashable {
    /// A Raft message.
    case raft(RaftMessage)
    /// A lease keep-alive or time-to-live forwarded to the leader.
    case leaseRequest(requestID: UInt64, LeaseForwardRequest)
    /// The leader's answer to a forwarded lease request.
    case leaseResponse(requestID: UInt64, LeaseForwardResponse)
    /// A Multi-Paxos message (sender and receiver are member ids).
    case multiPaxos(MultiPaxosMessage)
    /// A message of the available store (`ConcordDynamo`) between two
    /// members' `DynamoNode`s. The store shares the members' peer
    /// connections: its ring is the members of the cluster, so the
    /// connections, TLS and cluster-id check it needs are already there.
    case dynamo(DynamoMessage)
    /// Several available-store messages to one member, in the order they
    /// were sent: what one step of the store sends a member leaves as one
    /// frame, and is taken in by the receiving store in one step.
    case dynamoBatch([DynamoMessage])
    /// The ZooKeeper sessions whose clients showed a sign of life on a
    /// follower since its last report, for the leader's expiry decisions
    /// (ZooKeeper's learners report theirs with their pings).
    case zooKeeperSessionsTouched([Int64])

    /// The format version written and accepted. Version 1 was the untyped
    /// Raft and lease frames of earlier releases; version 2 lacked the
    /// answered chunk's offset in a Raft snapshot chunk's answer. Both are
    /// refused.
    public static let version: UInt8 = 3

    /// The bytes of the header: version, cluster id, from, to, kind.
    public static let headerBytes = 26

    enum Kind: UInt8 {
        case raft = 1
        case leaseRequest = 2
        case leaseResponse = 3
        case multiPaxos = 4
        case dynamo = 5
        case zooKeeperSessionsTouched = 6
        case dynamoBatch = 7
    }

    /// A decoded frame with its header.
    public struct Addressed: Sendable, Hashable {
        /// The sending member.
        public var from: UInt64
        /// The receiving member.
        public var to: UInt64
        /// The frame.
        public var frame: PeerFrame

        /// Creates an addressed frame.
        public init(from: UInt64, to: UInt64, frame: PeerFrame) {
            self.from = from
            self.to = to
            self.frame = frame
        }
    }

    private var kind: Kind {
        switch self {
        case .raft: .raft
        case .leaseRequest: .leaseRequest
        case .leaseResponse: .leaseResponse
        case .multiPaxos: .multiPaxos
        case .dynamo: .dynamo
        case .zooKeeperSessionsTouched: .zooKeeperSessionsTouched
        case .dynamoBatch: .dynamoBatch
        }
    }

    /// The frame's bytes.
    ///
    /// Layout: version byte (3), the cluster id, sender and receiver
    /// (8 bytes each, little-endian), a kind byte (1 Raft message, 2 lease
    /// request, 3 lease response, 4 Multi-Paxos message, 5 available-store
    /// message, 6 touched ZooKeeper sessions, 7 available-store messages),
    /// then the body (`RaftMessageCoding`, `LeaseForwardCoding`,
    /// `MultiPaxosMessageCoding`, `DynamoMessage`'s own binary form; touched
    /// sessions as a 4-byte count and 8 bytes per session id; a batch of
    /// store messages as a 4-byte count and each message's binary form).
    /// A member of an earlier release refuses kind 7 as unknown and drops
    /// the frame (and a resent batch again). A Raft or Multi-Paxos message's sender
    /// and receiver are the header's.
    public func encoded(from: UInt64, to: UInt64, clusterID: UInt64) -> [UInt8] {
        var writer = BinaryWriter(capacity: 64)
        writer.writeByte(Self.version)
        writer.writeFixed(clusterID)
        writer.writeFixed(from)
        writer.writeFixed(to)
        writer.writeByte(kind.rawValue)
        switch self {
        case .raft(let message):
            RaftMessageCoding.write(message, to: &writer)
        case .leaseRequest(let requestID, let request):
            writer.writeFixed(requestID)
            LeaseForwardCoding.write(request, to: &writer)
        case .leaseResponse(let requestID, let response):
            writer.writeFixed(requestID)
            LeaseForwardCoding.write(response, to: &writer)
        case .multiPaxos(let message):
            MultiPaxosMessageCoding.write(message, to: &writer)
        case .dynamo(let message):
            message.encode(to: &writer)
        case .dynamoBatch(let messages):
            writer.writeFixed(UInt32(messages.count))
            for message in messages { message.encode(to: &writer) }
        case .zooKeeperSessionsTouched(let sessions):
            writer.writeFixed(UInt32(sessions.count))
            for session in sessions { writer.writeFixed(UInt64(bitPattern: session)) }
        }
        return writer.bytes
    }

    /// The frame carrying a consensus engine's message.
    public init(_ message: ConsensusMessage) {
        switch message {
        case .raft(let message): self = .raft(message)
        case .multiPaxos(let message): self = .multiPaxos(message)
        }
    }

    /// The bytes of a Raft message frame, addressed as the message is.
    public static func encoded(_ message: RaftMessage, clusterID: UInt64) -> [UInt8] {
        PeerFrame.raft(message).encoded(from: message.from, to: message.to, clusterID: clusterID)
    }

    /// Decodes `encoded(from:to:clusterID:)`'s bytes, refusing a frame of
    /// another cluster.
    /// - Throws: `WireError` naming what is wrong: an unsupported version,
    ///   another cluster, an unknown kind, or a body that does not decode.
    public static func decode(_ bytes: [UInt8], clusterID: UInt64) throws(WireError) -> Addressed {
        var reader = BinaryReader(bytes)
        let version = try reader.wireByte()
        guard version == Self.version else { throw .invalid("unsupported peer frame version \(version)") }
        let cluster = try reader.wireUInt64()
        guard cluster == clusterID else { throw .invalid("frame of cluster \(cluster), expected \(clusterID)") }
        let from = try reader.wireUInt64()
        let to = try reader.wireUInt64()
        let kindByte = try reader.wireByte()
        guard let kind = Kind(rawValue: kindByte) else { throw .invalid("unknown peer frame kind \(kindByte)") }
        let frame: PeerFrame
        switch kind {
        case .raft:
            frame = .raft(try RaftMessageCoding.read(from: from, to: to, &reader))
        case .leaseRequest:
            let requestID = try reader.wireUInt64()
            frame = .leaseRequest(requestID: requestID, try LeaseForwardCoding.readRequest(&reader))
            try reader.wireEnd("lease forwarding request")
        case .leaseResponse:
            let requestID = try reader.wireUInt64()
            frame = .leaseResponse(requestID: requestID, try LeaseForwardCoding.readResponse(&reader))
            try reader.wireEnd("lease forwarding response")
        case .multiPaxos:
            frame = .multiPaxos(try MultiPaxosMessageCoding.read(from: from, to: to, &reader))
        case .dynamo:
            do {
                frame = .dynamo(try DynamoMessage(from: &reader))
            } catch {
                throw .invalid("available-store message: \(error)")
            }
            try reader.wireEnd("available-store message")
        case .dynamoBatch:
            let count = try reader.wireItemCount(minimumBytes: 1, of: "available-store message")
            var messages: [DynamoMessage] = []
            messages.reserveCapacity(count)
            for index in 0..<count {
                do {
                    messages.append(try DynamoMessage(from: &reader))
                } catch {
                    throw .invalid("available-store message \(index) of \(count): \(error)")
                }
            }
            try reader.wireEnd("available-store messages")
            frame = .dynamoBatch(messages)
        case .zooKeeperSessionsTouched:
            let count = try reader.wireItemCount(minimumBytes: 8, of: "touched ZooKeeper session")
            var sessions: [Int64] = []
            sessions.reserveCapacity(count)
            for _ in 0..<count { sessions.append(try reader.wireInt64()) }
            try reader.wireEnd("touched ZooKeeper sessions")
            frame = .zooKeeperSessionsTouched(sessions)
        }
        return Addressed(from: from, to: to, frame: frame)
    }

    /// The cluster id a frame's header carries, without decoding the rest;
    /// nil for a frame of another version or a zero id. A member joining a
    /// running cluster learns the cluster's id this way.
    public static func clusterID(in bytes: [UInt8]) -> UInt64? {
        guard bytes.count >= 9, bytes[0] == version else { return nil }
        let value = bytes.loadLittleEndian(UInt64.self, at: 1)
        return value == 0 ? nil : value
    }
}
