import ConcordFoundation

/// One member of the cluster as every replica records it: what etcd's
/// `Member` message answers.
public struct MemberRecord: Sendable, Hashable {
    /// The member's id (its Raft replica id).
    public var id: UInt64
    /// The member's name; empty until the member starts and publishes it.
    public var name: String
    /// Where peers reach the member, `http://host:port`.
    public var peerURLs: [String]
    /// Where clients reach the member; empty until it publishes them.
    public var clientURLs: [String]
    /// True when the member was added as a learner. Only meaningful in an
    /// add command: afterwards Raft's configuration says who learns.
    public var isLearner: Bool = false

    /// Creates a record.
    public init(id: UInt64, name: String, peerURLs: [String], clientURLs: [String], isLearner: Bool = false) {
        self.id = id
        self.name = name
        self.peerURLs = peerURLs
        self.clientURLs = clientURLs
        self.isLearner = isLearner
    }
}

/// The replicated member list: the same on every replica that applied the
/// same log, carried in every snapshot of the state machine.
///
/// It changes only by applying `MemberCommand`s in log order (the commands
/// arrive in configuration-change entries and, for updates and publishes,
/// in normal entries), so every replica agrees. It records the ids of
/// removed members too, so that a removed member's messages are refused
/// and its id is never given out again.
public struct MemberRegistry: Sendable, Hashable {
    /// The cluster's id (0 while a joining member has not learned it).
    public var clusterID: UInt64
    /// The members, by id.
    public var members: [UInt64: MemberRecord]
    /// Ids of members that were removed.
    public var removed: Set<UInt64>

    /// The most members (current and removed) a registry holds.
    public static let membersMax = 1024
    /// The most URLs of one kind a member lists.
    public static let urlsPerMemberMax = 16
    /// The longest name or URL, in bytes.
    public static let textBytesMax = 1024
    /// The most learners etcd (3.4) allows at once.
    public static let learnersMax = 1

    public init(clusterID: UInt64, members: [UInt64: MemberRecord] = [:], removed: Set<UInt64> = []) {
        self.clusterID = clusterID
        self.members = members
        self.removed = removed
    }

    /// The members in ascending id order.
    public var sortedMembers: [MemberRecord] { members.values.sorted { $0.id < $1.id } }

    /// The member other than `except` that lists any of `peerURLs`.
    func member(withAnyPeerURL peerURLs: [String], except: UInt64? = nil) -> MemberRecord? {
        members.values.first { member in member.id != except && !Set(member.peerURLs).isDisjoint(with: peerURLs) }
    }

    /// Why `command` may not be proposed now, judged against this
    /// registry and the Raft configuration in force; nil when it may.
    func refusal(of command: MemberCommand, learners: Set<UInt64>) -> MembershipError? {
        switch command {
        case .add(let member):
            if self.member(withAnyPeerURL: member.peerURLs) != nil { return .peerURLExists }
            if members[member.id] != nil { return .memberExists }
            if removed.contains(member.id) { return .idRemoved }
            if member.isLearner && learners.count >= Self.learnersMax { return .tooManyLearners }
            if members.count + removed.count >= Self.membersMax { return .tooManyMembers }
        case .remove(let id):
            if members[id] == nil { return .memberNotFound }
        case .promote(let id):
            if members[id] == nil { return .memberNotFound }
            if !learners.contains(id) { return .memberNotLearner }
        case .update(let id, let peerURLs):
            if members[id] == nil { return .memberNotFound }
            if member(withAnyPeerURL: peerURLs, except: id) != nil { return .peerURLExists }
        case .publish(let id, _, _):
            if members[id] == nil { return .memberNotFound }
        }
        return nil
    }

    /// The registry after `command`, or why the command changes nothing.
    /// Deterministic: every replica gets the same answer.
    ///
    /// A command carried by a configuration change (add, remove, promote)
    /// always applies, because Raft has already put that change in force:
    /// the registry follows Raft's membership rather than second-guessing
    /// it (the proposer checked the command with `refusal(of:learners:)`).
    /// Roles (voter or learner) are Raft's alone; the registry records
    /// names and URLs.
    func applying(_ command: MemberCommand) -> Result<MemberRegistry, MembershipError> {
        var next = self
        switch command {
        case .add(let member):
            next.removed.remove(member.id)
            next.members[member.id] = member
        case .remove(let id):
            next.members[id] = nil
            next.removed.insert(id)
        case .promote(let id):
            next.members[id]?.isLearner = false
        case .update(let id, let peerURLs):
            guard members[id] != nil else { return .failure(.memberNotFound) }
            guard member(withAnyPeerURL: peerURLs, except: id) == nil else { return .failure(.peerURLExists) }
            next.members[id]!.peerURLs = peerURLs
        case .publish(let id, let name, let clientURLs):
            guard members[id] != nil else { return .failure(.memberNotFound) }
            next.members[id]!.name = name
            next.members[id]!.clientURLs = clientURLs
        }
        return .success(next)
    }

    // MARK: Encoding

    /// The format version written and accepted.
    static let version: UInt8 = 1

    /// Layout: version byte (1), cluster id (8 bytes), member count (8),
    /// each member (see `MemberRecord.write(to:)`) in ascending id order,
    /// removed count (8), each removed id (8) in ascending order.
    var encoded: [UInt8] {
        var writer = BinaryWriter(capacity: 64 + 128 * members.count)
        writer.writeByte(Self.version)
        writer.writeFixed(clusterID)
        writer.writeFixed(UInt64(members.count))
        for member in sortedMembers { member.write(to: &writer) }
        writer.writeFixed(UInt64(removed.count))
        for id in removed.sorted() { writer.writeFixed(id) }
        return writer.bytes
    }

    /// Decodes `encoded`.
    /// - Throws: `WireError` for anything `encoded` cannot produce.
    init(decoding bytes: [UInt8]) throws(WireError) {
        var reader = BinaryReader(bytes)
        try self.init(reading: &reader)
        try reader.wireEnd("member registry")
    }

    init(reading reader: inout BinaryReader) throws(WireError) {
        let version = try reader.wireByte()
        guard version == Self.version else { throw .invalid("unsupported member registry version \(version)") }
        clusterID = try reader.wireUInt64()
        let count = try reader.wireCount()
        guard count <= Self.membersMax else { throw .invalid("\(count) members exceed \(Self.membersMax)") }
        members = [:]
        var previous: UInt64?
        for _ in 0..<count {
            let member = try MemberRecord(reading: &reader)
            guard previous.map({ $0 < member.id }) ?? true else { throw .invalid("members out of order") }
            previous = member.id
            members[member.id] = member
        }
        let removedCount = try reader.wireCount()
        guard count + removedCount <= Self.membersMax else { throw .invalid("\(removedCount) removed members exceed the limit") }
        removed = []
        previous = nil
        for _ in 0..<removedCount {
            let id = try reader.wireUInt64()
            guard id != 0, previous.map({ $0 < id }) ?? true, members[id] == nil else { throw .invalid("bad removed member id \(id)") }
            previous = id
            removed.insert(id)
        }
    }
}

extension MemberRecord {
    /// Layout: id (8), name, peer URLs, client URLs (each list a count (8)
    /// and then 4-byte-length-prefixed UTF-8 strings), learner flag byte.
    func write(to writer: inout BinaryWriter) {
        writer.writeFixed(id)
        writer.writeFixedLengthBytes(Array(name.utf8))
        Self.write(peerURLs, to: &writer)
        Self.write(clientURLs, to: &writer)
        writer.writeBool(isLearner)
    }

    init(reading reader: inout BinaryReader) throws(WireError) {
        id = try reader.wireUInt64()
        guard id != 0 else { throw .invalid("member id 0") }
        name = try reader.wireText(bytesMax: MemberRegistry.textBytesMax)
        peerURLs = try Self.readTexts(&reader)
        clientURLs = try Self.readTexts(&reader)
        isLearner = try reader.wireBool()
    }

    static func write(_ texts: [String], to writer: inout BinaryWriter) {
        writer.writeFixed(UInt64(texts.count))
        for text in texts { writer.writeFixedLengthBytes(Array(text.utf8)) }
    }

    static func readTexts(_ reader: inout BinaryReader) throws(WireError) -> [String] {
        let count = try reader.wireCount()
        guard count <= MemberRegistry.urlsPerMemberMax else { throw .invalid("\(count) URLs exceed \(MemberRegistry.urlsPerMemberMax)") }
        var texts: [String] = []
        for _ in 0..<count { texts.append(try reader.wireText(bytesMax: MemberRegistry.textBytesMax)) }
        return texts
    }
}
