import ConcordFoundation
import ConcordClocks

// The binary forms of requests and outcomes, which travel between members
// when a write is forwarded.

extension WriteContext: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        switch self {
        case .none: writer.writeByte(0)
        case .provided(let context):
            writer.writeByte(1)
            context.encode(to: &writer)
        case .current: writer.writeByte(2)
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        switch try reader.readByte() {
        case 0: self = .none
        case 1: self = .provided(try VersionVector(from: &reader))
        case 2: self = .current
        default: throw .invalidValue("unknown write context", offset: start)
        }
    }
}

extension CRDTUpdate: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        switch self {
        case .increment(let amount):
            writer.writeByte(0)
            writer.writeSignedVarint(amount)
        case .addToSet(let elements):
            writer.writeByte(1)
            encodeList(elements, to: &writer)
        case .removeFromSet(let elements):
            writer.writeByte(2)
            encodeList(elements, to: &writer)
        case .setFields(let fields):
            writer.writeByte(3)
            encodeList(fields, to: &writer)
        case .removeFields(let fields):
            writer.writeByte(4)
            encodeList(fields, to: &writer)
        case .assign(let value):
            writer.writeByte(5)
            value.encode(to: &writer)
        case .enable: writer.writeByte(6)
        case .disable: writer.writeByte(7)
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        switch try reader.readByte() {
        case 0: self = .increment(try reader.readSignedVarint())
        case 1: self = .addToSet(try decodeList(from: &reader))
        case 2: self = .removeFromSet(try decodeList(from: &reader))
        case 3: self = .setFields(try decodeList(from: &reader))
        case 4: self = .removeFields(try decodeList(from: &reader))
        case 5: self = .assign(try ByteString(from: &reader))
        case 6: self = .enable
        case 7: self = .disable
        default: throw .invalidValue("unknown CRDT update", offset: start)
        }
    }
}

extension ClientOperation: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        switch self {
        case .get: writer.writeByte(0)
        case .put(let value, let context, let mode, let condition):
            writer.writeByte(1)
            value.encode(to: &writer)
            context.encode(to: &writer)
            writer.writeByte(mode.rawValue)
            writer.writeByte(condition.rawValue)
        case .delete(let context):
            writer.writeByte(2)
            context.encode(to: &writer)
        case .update(let update):
            writer.writeByte(3)
            update.encode(to: &writer)
        case .expire(let change, let condition):
            writer.writeByte(4)
            change.encode(to: &writer)
            writer.writeByte(condition.rawValue)
        case .listKeys(let after, let limit):
            writer.writeByte(5)
            after.encode(to: &writer)
            writer.writeVarint(UInt64(limit))
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        switch try reader.readByte() {
        case 0: self = .get
        case 1:
            let value = try ByteString(from: &reader)
            let context = try WriteContext(from: &reader)
            let modeAt = reader.offset
            guard let mode = VersioningMode(rawValue: try reader.readByte()) else {
                throw .invalidValue("unknown versioning mode", offset: modeAt)
            }
            let conditionAt = reader.offset
            guard let condition = WriteCondition(rawValue: try reader.readByte()) else {
                throw .invalidValue("unknown write condition", offset: conditionAt)
            }
            self = .put(value, context: context, mode: mode, condition: condition)
        case 2: self = .delete(context: try WriteContext(from: &reader))
        case 3: self = .update(try CRDTUpdate(from: &reader))
        case 4:
            let change = try ExpiryChange(from: &reader)
            let conditionAt = reader.offset
            guard let condition = ExpiryCondition(rawValue: try reader.readByte()) else {
                throw .invalidValue("unknown expiry condition", offset: conditionAt)
            }
            self = .expire(change, condition: condition)
        case 5:
            let after = try UInt64?(from: &reader)
            let limitAt = reader.offset
            let limit = try reader.readVarint()
            guard limit >= 1, limit <= UInt64(DynamoNode.listKeysLimitMax) else {
                throw .invalidValue("key listing limit out of range", offset: limitAt)
            }
            self = .listKeys(after: after, limit: Int(limit))
        default: throw .invalidValue("unknown client operation", offset: start)
        }
    }
}

extension ClientRequest: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        writer.writeVarint(id)
        key.encode(to: &writer)
        operation.encode(to: &writer)
        consistency.encode(to: &writer)
        session.encode(to: &writer)
        expiry.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let id = try reader.readVarint()
        let key = try ByteString(from: &reader)
        let operation = try ClientOperation(from: &reader)
        let consistency = try RequestConsistency(from: &reader)
        let session = try SessionToken?(from: &reader)
        self.init(
            id: id, key: key, operation: operation, consistency: consistency, session: session,
            expiry: try ExpiryChange(from: &reader))
    }
}

extension ExpiryChange: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        switch self {
        case .keep: writer.writeByte(0)
        case .clear: writer.writeByte(1)
        case .at(let instant):
            writer.writeByte(2)
            writer.writeSignedVarint(instant)
        case .after(let milliseconds):
            writer.writeByte(3)
            writer.writeSignedVarint(milliseconds)
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        switch try reader.readByte() {
        case 0: self = .keep
        case 1: self = .clear
        case 2: self = .at(try reader.readSignedVarint())
        case 3: self = .after(try reader.readSignedVarint())
        default: throw .invalidValue("unknown expiry change", offset: start)
        }
    }
}

extension DynamoRequestError: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        switch self {
        case .invalidConsistency(let reason):
            writer.writeByte(0)
            writer.writeString(reason)
        case .invalidRequest(let reason):
            writer.writeByte(1)
            writer.writeString(reason)
        case .wrongType(let kind):
            writer.writeByte(2)
            writer.writeByte(kind.rawValue)
        case .unavailable(let answered, let required):
            writer.writeByte(3)
            writer.writeVarint(UInt64(answered))
            writer.writeVarint(UInt64(required))
        case .overloaded: writer.writeByte(4)
        case .clockBehind: writer.writeByte(5)
        case .notAnInteger: writer.writeByte(6)
        case .overflow: writer.writeByte(7)
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        switch try reader.readByte() {
        case 0: self = .invalidConsistency(try reader.readString())
        case 1: self = .invalidRequest(try reader.readString())
        case 2:
            let kindAt = reader.offset
            guard let kind = ObjectKind(rawValue: try reader.readByte()) else { throw .invalidValue("unknown object kind", offset: kindAt) }
            self = .wrongType(kind)
        case 3:
            let answered = try DynamoMessage.readSmall(&reader, limit: UInt64(Ring.membersMax) + 1)
            self = .unavailable(answered: answered, required: try DynamoMessage.readSmall(&reader, limit: UInt64(Ring.membersMax) + 1))
        case 4: self = .overloaded
        case 5: self = .clockBehind
        case 6: self = .notAnInteger
        case 7: self = .overflow
        default: throw .invalidValue("unknown request error", offset: start)
        }
    }
}

extension ClientOutcome: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        switch self {
        case .read(let value, let context):
            writer.writeByte(0)
            value.encode(to: &writer)
            context.encode(to: &writer)
        case .written(let value, let version):
            writer.writeByte(1)
            value.encode(to: &writer)
            version.encode(to: &writer)
        case .conditionNotMet(let value):
            writer.writeByte(2)
            value.encode(to: &writer)
        case .failed(let error):
            writer.writeByte(3)
            error.encode(to: &writer)
        case .keys(let keys, let next):
            writer.writeByte(4)
            encodeList(keys, to: &writer)
            next.encode(to: &writer)
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        switch try reader.readByte() {
        case 0:
            let value = try ReadValue(from: &reader)
            self = .read(value, context: try VersionVector(from: &reader))
        case 1:
            let value = try ReadValue(from: &reader)
            self = .written(value, version: try VersionVector(from: &reader))
        case 2: self = .conditionNotMet(try ReadValue(from: &reader))
        case 3: self = .failed(try DynamoRequestError(from: &reader))
        case 4:
            let keys: [ListedKey] = try decodeList(from: &reader)
            self = .keys(keys, next: try UInt64?(from: &reader))
        default: throw .invalidValue("unknown outcome", offset: start)
        }
    }
}
