import ConcordFoundation
import ConcordClocks

/// The binary form of the members' messages: a version byte, a tag byte,
/// then the fields in declaration order. A server frames these on its peer
/// connections; the simulator counts their bytes.
extension DynamoMessage: BinaryCodable {
    /// The format version written first. Version 2 added expiry (copies
    /// may carry an ``Expiry``; requests carry an ``ExpiryChange`` and may
    /// be `expire`); members of different versions refuse each other's
    /// messages rather than misread them.
    public static let formatVersion: UInt8 = 2

    public func encode(to writer: inout BinaryWriter) {
        writer.writeByte(Self.formatVersion)
        switch self {
        case .forward(let coordination, let request):
            writer.writeByte(1)
            writer.writeVarint(coordination)
            request.encode(to: &writer)
        case .forwardReply(let coordination, let outcome, let session):
            writer.writeByte(2)
            writer.writeVarint(coordination)
            outcome.encode(to: &writer)
            session.encode(to: &writer)
        case .replicate(let write):
            writer.writeByte(3)
            writer.writeVarint(write.operation)
            write.key.encode(to: &writer)
            write.object.encode(to: &writer)
            write.hintFor.encode(to: &writer)
            encodeList(write.dependencies, to: &writer)
        case .replicateAck(let operation):
            writer.writeByte(4)
            writer.writeVarint(operation)
        case .read(let operation, let key, let session, let includeHints):
            writer.writeByte(5)
            writer.writeVarint(operation)
            key.encode(to: &writer)
            session.encode(to: &writer)
            writer.writeBool(includeHints)
        case .readReply(let operation, let object, let pendingShown):
            writer.writeByte(6)
            writer.writeVarint(operation)
            object.encode(to: &writer)
            pendingShown.encode(to: &writer)
        case .repair(let keyed):
            writer.writeByte(7)
            keyed.encode(to: &writer)
        case .handoff(let batch, let objects):
            writer.writeByte(8)
            writer.writeVarint(batch)
            encodeList(objects, to: &writer)
        case .handoffAck(let batch):
            writer.writeByte(9)
            writer.writeVarint(batch)
        case .treeCompare(let exchange, let arc, let level, let nodes):
            writer.writeByte(10)
            writer.writeVarint(exchange)
            arc.encode(to: &writer)
            writer.writeVarint(UInt64(level))
            encodeList(nodes, to: &writer)
        case .treeObjects(let exchange, let arc, let leaves, let objects, let wantsReply):
            writer.writeByte(11)
            writer.writeVarint(exchange)
            arc.encode(to: &writer)
            writer.writeVarint(UInt64(leaves.count))
            for leaf in leaves { writer.writeVarint(UInt64(leaf)) }
            encodeList(objects, to: &writer)
            writer.writeBool(wantsReply)
        case .reapQuery(let round, let phase, let candidates):
            writer.writeByte(12)
            writer.writeVarint(round)
            writer.writeByte(phase)
            encodeList(candidates, to: &writer)
        case .reapVote(let round, let phase, let agreed):
            writer.writeByte(13)
            writer.writeVarint(round)
            writer.writeByte(phase)
            encodeList(agreed, to: &writer)
        case .reap(let candidates):
            writer.writeByte(14)
            encodeList(candidates, to: &writer)
        case .dependencyCheck(let check, let dependency):
            writer.writeByte(15)
            writer.writeVarint(check)
            dependency.encode(to: &writer)
        case .dependencyAnswer(let check, let covered):
            writer.writeByte(16)
            writer.writeVarint(check)
            writer.writeBool(covered)
        case .listKeys(let listing, let after, let limit, let now):
            writer.writeByte(17)
            writer.writeVarint(listing)
            after.encode(to: &writer)
            writer.writeVarint(UInt64(limit))
            writer.writeSignedVarint(now)
        case .listKeysReply(let listing, let keys, let next):
            writer.writeByte(18)
            writer.writeVarint(listing)
            encodeList(keys, to: &writer)
            next.encode(to: &writer)
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let versionAt = reader.offset
        guard try reader.readByte() == Self.formatVersion else {
            throw .invalidValue("unknown message format version", offset: versionAt)
        }
        let tagAt = reader.offset
        switch try reader.readByte() {
        case 1:
            let coordination = try reader.readVarint()
            self = .forward(coordination: coordination, request: try ClientRequest(from: &reader))
        case 2:
            let coordination = try reader.readVarint()
            let outcome = try ClientOutcome(from: &reader)
            self = .forwardReply(coordination: coordination, outcome: outcome, session: try SessionToken?(from: &reader))
        case 3:
            let operation = try reader.readVarint()
            let key = try ByteString(from: &reader)
            let object = try StoredObject(from: &reader)
            let hintFor = try MemberID?(from: &reader)
            let dependencies: [Dependency] = try decodeList(from: &reader)
            self = .replicate(ReplicaWrite(operation: operation, key: key, object: object, hintFor: hintFor, dependencies: dependencies))
        case 4: self = .replicateAck(operation: try reader.readVarint())
        case 5:
            let operation = try reader.readVarint()
            let key = try ByteString(from: &reader)
            let session = try VersionVector?(from: &reader)
            self = .read(operation: operation, key: key, session: session, includeHints: try reader.readBool())
        case 6:
            let operation = try reader.readVarint()
            let object = try StoredObject?(from: &reader)
            self = .readReply(operation: operation, object: object, pendingShown: try StoredObject?(from: &reader))
        case 7: self = .repair(try KeyedObject(from: &reader))
        case 8:
            let batch = try reader.readVarint()
            self = .handoff(batch: batch, objects: try decodeList(from: &reader))
        case 9: self = .handoffAck(batch: try reader.readVarint())
        case 10:
            let exchange = try reader.readVarint()
            let arc = try RingArc(from: &reader)
            let level = try Self.readSmall(&reader, limit: 64)
            self = .treeCompare(exchange: exchange, arc: arc, level: level, nodes: try decodeList(from: &reader))
        case 11:
            let exchange = try reader.readVarint()
            let arc = try RingArc(from: &reader)
            let count = try reader.readCount()
            var leaves: [Int] = []
            for _ in 0..<count { leaves.append(try Self.readSmall(&reader, limit: 1 << 24)) }
            let objects: [KeyedObject] = try decodeList(from: &reader)
            self = .treeObjects(exchange: exchange, arc: arc, leaves: leaves, objects: objects, wantsReply: try reader.readBool())
        case 12:
            let round = try reader.readVarint()
            let phase = try reader.readByte()
            self = .reapQuery(round: round, phase: phase, candidates: try decodeList(from: &reader))
        case 13:
            let round = try reader.readVarint()
            let phase = try reader.readByte()
            self = .reapVote(round: round, phase: phase, agreed: try decodeList(from: &reader))
        case 14: self = .reap(candidates: try decodeList(from: &reader))
        case 15:
            let check = try reader.readVarint()
            self = .dependencyCheck(check: check, dependency: try Dependency(from: &reader))
        case 16:
            let check = try reader.readVarint()
            self = .dependencyAnswer(check: check, covered: try reader.readBool())
        case 17:
            let listing = try reader.readVarint()
            let after = try UInt64?(from: &reader)
            let limit = try DynamoMessage.readSmall(&reader, limit: UInt64(DynamoNode.listKeysLimitMax) + 1)
            self = .listKeys(listing: listing, after: after, limit: max(limit, 1), now: try reader.readSignedVarint())
        case 18:
            let listing = try reader.readVarint()
            let keys: [ListedKey] = try decodeList(from: &reader)
            self = .listKeysReply(listing: listing, keys: keys, next: try UInt64?(from: &reader))
        default:
            throw .invalidValue("unknown message tag", offset: tagAt)
        }
    }

    static func readSmall(_ reader: inout BinaryReader, limit: UInt64) throws(BinaryDecodingError) -> Int {
        let start = reader.offset
        let value = try reader.readVarint()
        guard value < limit else { throw .invalidValue("number out of range", offset: start) }
        return Int(value)
    }
}

extension TreeNodeHash: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        writer.writeVarint(UInt64(index))
        writer.writeFixed(hash)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let index = try DynamoMessage.readSmall(&reader, limit: 1 << 24)
        self.init(index: index, hash: try reader.readFixed(UInt64.self))
    }
}

extension RingArc: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        writer.writeVarint(UInt64(index))
        writer.writeFixed(start)
        writer.writeFixed(end)
        writer.writeBool(isWhole)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let index = try DynamoMessage.readSmall(&reader, limit: UInt64(Ring.membersMax * Ring.virtualNodesPerMemberMax))
        let start = try reader.readFixed(UInt64.self)
        let end = try reader.readFixed(UInt64.self)
        self.init(index: index, start: start, end: end, isWhole: try reader.readBool())
    }
}

extension StorageRecord: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        switch self {
        case .object(let keyed):
            writer.writeByte(1)
            keyed.encode(to: &writer)
        case .objectRemoved(let key):
            writer.writeByte(2)
            key.encode(to: &writer)
        case .hint(let target, let keyed):
            writer.writeByte(3)
            target.encode(to: &writer)
            keyed.encode(to: &writer)
        case .hintRemoved(let target, let key):
            writer.writeByte(4)
            target.encode(to: &writer)
            key.encode(to: &writer)
        case .pendingWrites(let key, let writes):
            writer.writeByte(5)
            key.encode(to: &writer)
            encodeList(writes, to: &writer)
        case .actorEpoch(let epoch):
            writer.writeByte(6)
            writer.writeVarint(epoch)
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        switch try reader.readByte() {
        case 1: self = .object(try KeyedObject(from: &reader))
        case 2: self = .objectRemoved(try ByteString(from: &reader))
        case 3:
            let target = try MemberID(from: &reader)
            self = .hint(for: target, try KeyedObject(from: &reader))
        case 4:
            let target = try MemberID(from: &reader)
            self = .hintRemoved(for: target, key: try ByteString(from: &reader))
        case 5:
            let key = try ByteString(from: &reader)
            self = .pendingWrites(key: key, try decodeList(from: &reader))
        case 6:
            let epochAt = reader.offset
            let epoch = try reader.readVarint()
            guard epoch <= Actor.epochMax else { throw .invalidValue("actor epoch out of range", offset: epochAt) }
            self = .actorEpoch(epoch)
        default: throw .invalidValue("unknown storage record", offset: start)
        }
    }
}
