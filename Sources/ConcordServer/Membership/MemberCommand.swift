/// A change to the member list, as it travels in the log.
///
/// Add, remove and promote ride in the context of the Raft configuration
/// change they accompany (so the metadata and the membership change commit
/// as one entry, as etcd's `ConfChange.Context` does); update and publish
/// are normal entries (as in etcd, a member publishes its name and client
/// URLs with an ordinary proposal once it runs).
enum MemberCommand: Sendable, Hashable {
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
    var description: String {
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

/// A `MemberCommand` with the replica that proposed it and a request id,
/// so that the proposer can answer its waiting client when it applies the
/// entry.
///
/// Layout: the magic byte `M` (0x4D; a `ProposalEnvelope` starts with its
/// version byte 1, so the two never meet), version byte (1), proposer (8),
/// request id (8), command tag byte, then the command's fields: a member as
/// `MemberRecord.write(to:)` writes it, ids as 8 bytes, URL lists as a
/// count (8) and length-prefixed strings.
struct MemberProposal: Sendable, Hashable {
    static let magic: UInt8 = 0x4D
    static let version: UInt8 = 1

    var proposer: UInt64
    var requestID: UInt64
    var command: MemberCommand

    private enum Tag: UInt8 {
        case add = 1, remove, promote, update, publish
    }

    /// True when `bytes` start as a member proposal does.
    static func isMemberProposal(_ bytes: [UInt8]) -> Bool { bytes.first == magic }

    var encoded: [UInt8] {
        var writer = WireWriter(capacity: 128)
        writer.write(Self.magic)
        writer.write(Self.version)
        writer.write(proposer)
        writer.write(requestID)
        switch command {
        case .add(let member):
            writer.write(Tag.add.rawValue)
            member.write(to: &writer)
        case .remove(let id):
            writer.write(Tag.remove.rawValue)
            writer.write(id)
        case .promote(let id):
            writer.write(Tag.promote.rawValue)
            writer.write(id)
        case .update(let id, let peerURLs):
            writer.write(Tag.update.rawValue)
            writer.write(id)
            Self.write(peerURLs, to: &writer)
        case .publish(let id, let name, let clientURLs):
            writer.write(Tag.publish.rawValue)
            writer.write(id)
            writer.write(bytes: Array(name.utf8))
            Self.write(clientURLs, to: &writer)
        }
        return writer.bytes
    }

    init(proposer: UInt64, requestID: UInt64, command: MemberCommand) {
        self.proposer = proposer
        self.requestID = requestID
        self.command = command
    }

    /// Decodes `encoded`.
    /// - Throws: `WireError` for anything `encoded` cannot produce.
    init(decoding bytes: [UInt8]) throws(WireError) {
        var reader = WireReader(bytes)
        guard try reader.readByte() == Self.magic else { throw .invalid("not a member proposal") }
        let version = try reader.readByte()
        guard version == Self.version else { throw .invalid("unsupported member proposal version \(version)") }
        proposer = try reader.readUInt64()
        requestID = try reader.readUInt64()
        let tag = try reader.readByte()
        switch Tag(rawValue: tag) {
        case .add: command = .add(try MemberRecord(reading: &reader))
        case .remove: command = .remove(id: try Self.readID(&reader))
        case .promote: command = .promote(id: try Self.readID(&reader))
        case .update: command = .update(id: try Self.readID(&reader), peerURLs: try Self.readURLs(&reader))
        case .publish:
            let id = try Self.readID(&reader)
            let name = try Self.readText(&reader)
            command = .publish(id: id, name: name, clientURLs: try Self.readURLs(&reader))
        case nil: throw .invalid("unknown member command tag \(tag)")
        }
        guard reader.isAtEnd else { throw .invalid("\(reader.remaining) bytes after the member command") }
    }

    private static func write(_ urls: [String], to writer: inout WireWriter) {
        writer.write(urls.count)
        for url in urls { writer.write(bytes: Array(url.utf8)) }
    }

    private static func readID(_ reader: inout WireReader) throws(WireError) -> UInt64 {
        let id = try reader.readUInt64()
        guard id != 0 else { throw .invalid("member id 0") }
        return id
    }

    private static func readText(_ reader: inout WireReader) throws(WireError) -> String {
        let bytes = try reader.readBytes()
        guard bytes.count <= MemberRegistry.textBytesMax else { throw .invalid("text of \(bytes.count) bytes is too long") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalid("text is not UTF-8") }
        return text
    }

    private static func readURLs(_ reader: inout WireReader) throws(WireError) -> [String] {
        let count = try reader.readCount()
        guard count <= MemberRegistry.urlsPerMemberMax else { throw .invalid("\(count) URLs exceed \(MemberRegistry.urlsPerMemberMax)") }
        var urls: [String] = []
        for _ in 0..<count { urls.append(try readText(&reader)) }
        return urls
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
