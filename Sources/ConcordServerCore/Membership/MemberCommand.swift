import ConcordFoundation

/// A change to the member list, as it travels in the log.
///
/// Add, remove and promote ride in the context of the Raft configuration
/// change they accompany (so the metadata and the membership change commit
/// as one entry, as etcd's `ConfChange.Context` does); update and publish
/// are normal entries (as in etcd, a member publishes its name and client
/// URLs with an ordinary proposal once it runs).
public enum MemberCommand: Sendable, Hashable {
    /// Adds a member (its name and client URLs are empty until it publishes).
    case add(MemberRecord)
    /// Removes a member for good.
    case remove(id: UInt64)
    /// Makes a learner a voter.
    case promote(id: UInt64)
    /// Replaces a member's peer URLs.
    case update(id: UInt64, peerURLs: [String])
    /// A running member announces its name and client URLs.
    case publish(id: UInt64, name: String, clientURLs: [String])
}

extension MemberCommand: CustomStringConvertible {
    /// The command with ids in hexadecimal, as etcdctl prints them.
    public var description: String {
        func hex(_ id: UInt64) -> String { String(id, radix: 16) }
        switch self {
        case .add(let member): return "add \(hex(member.id)) \(member.isLearner ? "learner" : "voter") \(member.peerURLs)"
        case .remove(let id): return "remove \(hex(id))"
        case .promote(let id): return "promote \(hex(id))"
        case .update(let id, let peerURLs): return "update \(hex(id)) \(peerURLs)"
        case .publish(let id, let name, let clientURLs): return "publish \(hex(id)) \(name) \(clientURLs)"
        }
    }
}

extension MemberCommand {
    private enum Tag: UInt8 {
        case add = 1, remove, promote, update, publish
    }

    /// Layout: a tag byte (1 add, 2 remove, 3 promote, 4 update,
    /// 5 publish), then the fields: a member as `MemberRecord.write(to:)`
    /// writes it, ids as 8 bytes, URL lists as a count (8) and
    /// 4-byte-length-prefixed strings.
    func write(to writer: inout BinaryWriter) {
        switch self {
        case .add(let member):
            writer.writeByte(Tag.add.rawValue)
            member.write(to: &writer)
        case .remove(let id):
            writer.writeByte(Tag.remove.rawValue)
            writer.writeFixed(id)
        case .promote(let id):
            writer.writeByte(Tag.promote.rawValue)
            writer.writeFixed(id)
        case .update(let id, let peerURLs):
            writer.writeByte(Tag.update.rawValue)
            writer.writeFixed(id)
            MemberRecord.write(peerURLs, to: &writer)
        case .publish(let id, let name, let clientURLs):
            writer.writeByte(Tag.publish.rawValue)
            writer.writeFixed(id)
            writer.writeFixedLengthBytes(Array(name.utf8))
            MemberRecord.write(clientURLs, to: &writer)
        }
    }

    /// Reads what `write(to:)` wrote.
    /// - Throws: `WireError` for anything `write(to:)` cannot produce.
    init(reading reader: inout BinaryReader) throws(WireError) {
        let tag = try reader.wireByte()
        switch Tag(rawValue: tag) {
        case .add: self = .add(try MemberRecord(reading: &reader))
        case .remove: self = .remove(id: try Self.readID(&reader))
        case .promote: self = .promote(id: try Self.readID(&reader))
        case .update: self = .update(id: try Self.readID(&reader), peerURLs: try MemberRecord.readTexts(&reader))
        case .publish:
            let id = try Self.readID(&reader)
            let name = try reader.wireText(bytesMax: MemberRegistry.textBytesMax)
            self = .publish(id: id, name: name, clientURLs: try MemberRecord.readTexts(&reader))
        case nil: throw .invalid("unknown member command tag \(tag)")
        }
    }

    private static func readID(_ reader: inout BinaryReader) throws(WireError) -> UInt64 {
        let id = try reader.wireUInt64()
        guard id != 0 else { throw .invalid("member id 0") }
        return id
    }
}

/// Why a membership request was refused: etcd's errors, with the gRPC
/// status and message etcd answers (etcd 3.4's `rpctypes`).
public enum MembershipError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No member has that id.
    case memberNotFound
    /// Another member already lists one of the peer URLs.
    case peerURLExists
    /// The id derived for a new member is taken.
    case memberExists
    /// The id derived for a new member belonged to a removed member.
    case idRemoved
    /// Promote named a member that is not a learner.
    case memberNotLearner
    /// Promote named a learner that lags the leader.
    case learnerNotReady
    /// The cluster has as many learners as it may.
    case tooManyLearners
    /// The registry is full.
    case tooManyMembers
    /// The peer URLs are missing or not `http://host:port`.
    case badURLs
    /// Removing the member would leave too few active voters for a quorum.
    case unhealthy
    /// Adding a voter would leave too few started voters for a quorum.
    case notEnoughStarted
    /// The cluster replicates with an engine whose replicas are fixed
    /// (Multi-Paxos): members cannot be added, removed or promoted.
    case fixedReplicas

    /// etcd's message.
    public var message: String {
        switch self {
        case .memberNotFound: "etcdserver: member not found"
        case .peerURLExists: "etcdserver: Peer URLs already exists"
        case .memberExists: "etcdserver: member ID already exist"
        case .idRemoved: "etcdserver: member ID already exist (it belonged to a removed member; use a different peer URL)"
        case .memberNotLearner: "etcdserver: can only promote a learner member"
        case .learnerNotReady: "etcdserver: can only promote a learner member which is in sync with leader"
        case .tooManyLearners: "etcdserver: too many learner members in cluster"
        case .tooManyMembers: "etcdserver: too many members in cluster"
        case .badURLs: "etcdserver: given member URLs are invalid"
        case .unhealthy: "etcdserver: unhealthy cluster"
        case .notEnoughStarted: "etcdserver: re-configuration failed due to not enough started members"
        case .fixedReplicas: "etcdserver: membership changes are not supported: this cluster runs Multi-Paxos, whose replicas are fixed"
        }
    }

    /// The gRPC status code: NOT_FOUND (5), INVALID_ARGUMENT (3),
    /// UNAVAILABLE (14) or FAILED_PRECONDITION (9), as etcd.
    public var grpcStatusCode: Int {
        switch self {
        case .memberNotFound: 5
        case .badURLs: 3
        case .unhealthy: 14
        default: 9
        }
    }

    /// The message.
    public var description: String { message }
}
