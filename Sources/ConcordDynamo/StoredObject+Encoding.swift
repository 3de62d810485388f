import ConcordFoundation
import ConcordClocks
import ConcordCRDT

/// The binary form of a copy, in the durable records and in the members'
/// messages: a first byte holding the value's kind in its low bits and
/// ``StoredObject/hasExpiryFlag`` when an expiry follows, then the kind's
/// own encoding (ConcordCRDT's and ConcordClocks' binary forms), then the
/// expiry if flagged.
///
/// ``StoredObject/hasGenerationFlag`` says a generation follows the first
/// byte (a copy of generation 0, every copy written before generations
/// existed, has it clear and reads back as before).
///
/// Versions: format 1 (before expiry) wrote the kind byte alone, with the
/// flag clear; it reads back unchanged as a copy without an expiry, so
/// records written by format 1 replay as they were. A copy whose expiry was
/// never written is still written in format 1.
extension StoredObject: BinaryCodable {
    /// The bit of the first byte that says an expiry follows the value.
    public static let hasExpiryFlag: UInt8 = 0x80

    /// The bit of the first byte that says a generation (a varint) follows
    /// it, before the value; clear for generation 0.
    public static let hasGenerationFlag: UInt8 = 0x40

    public func encode(to writer: inout BinaryWriter) {
        writer.writeByte(
            kind.rawValue | (expiry.isWritten ? Self.hasExpiryFlag : 0) | (generation > 0 ? Self.hasGenerationFlag : 0))
        if generation > 0 { writer.writeVarint(UInt64(generation)) }
        value.encodeBody(to: &writer)
        if expiry.isWritten { expiry.encode(to: &writer) }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        let first = try reader.readByte()
        guard let kind = ObjectKind(rawValue: first & ~(Self.hasExpiryFlag | Self.hasGenerationFlag)) else {
            throw .invalidValue("unknown object kind", offset: start)
        }
        var generation: UInt32 = 0
        if first & Self.hasGenerationFlag != 0 {
            let offset = reader.offset
            let read = try reader.readVarint()
            guard read > 0, read <= UInt64(UInt32.max) else { throw .invalidValue("generation out of range", offset: offset) }
            generation = UInt32(read)
        }
        let value = try StoredValue(kind: kind, from: &reader)
        let expiry = first & Self.hasExpiryFlag != 0 ? try Expiry(from: &reader) : Expiry()
        self.init(value, expiry: expiry, generation: generation)
    }
}

extension StoredValue {
    /// The value without its kind byte.
    func encodeBody(to writer: inout BinaryWriter) {
        switch self {
        case .siblings(let siblings): siblings.encode(to: &writer)
        case .lastWriterWins(let value): value.encode(to: &writer)
        case .counter(let counter): counter.encode(to: &writer)
        case .set(let set): set.encode(to: &writer)
        case .map(let map): map.encode(to: &writer)
        case .register(let register): register.encode(to: &writer)
        case .flag(let flag): flag.encode(to: &writer)
        }
    }

    /// Reads a value of `kind` written by ``encodeBody(to:)``.
    init(kind: ObjectKind, from reader: inout BinaryReader) throws(BinaryDecodingError) {
        switch kind {
        case .siblings: self = .siblings(try Siblings(from: &reader))
        case .lastWriterWins: self = .lastWriterWins(try LastWriterWinsValue(from: &reader))
        case .counter: self = .counter(try PNCounter(from: &reader))
        case .set: self = .set(try ORSet<ByteString>(from: &reader))
        case .map: self = .map(try CRDTMap(from: &reader))
        case .register: self = .register(try MVRegister<ByteString>(from: &reader))
        case .flag: self = .flag(try EnableWinsFlag(from: &reader))
        }
    }
}

extension KeyedObject: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        key.encode(to: &writer)
        object.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let key = try ByteString(from: &reader)
        self.init(key: key, object: try StoredObject(from: &reader))
    }
}

extension MapField: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        field.encode(to: &writer)
        encodeList(values, to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let field = try ByteString(from: &reader)
        self.init(field: field, values: try decodeList(from: &reader))
    }
}

/// A count, then each element.
func encodeList<Element: BinaryEncodable>(_ list: [Element], to writer: inout BinaryWriter) {
    writer.writeVarint(UInt64(list.count))
    for element in list { element.encode(to: &writer) }
}

/// Reads what ``encodeList(_:to:)`` wrote.
func decodeList<Element: BinaryDecodable>(from reader: inout BinaryReader) throws(BinaryDecodingError) -> [Element] {
    let count = try reader.readCount()
    var list: [Element] = []
    list.reserveCapacity(count)
    for _ in 0..<count { list.append(try Element(from: &reader)) }
    return list
}

extension ReadValue: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        switch self {
        case .absent:
            writer.writeByte(0)
        case .siblings(let values, let deleted):
            writer.writeByte(1)
            encodeList(values, to: &writer)
            writer.writeBool(deleted)
        case .value(let value):
            writer.writeByte(2)
            value.encode(to: &writer)
        case .counter(let value):
            writer.writeByte(3)
            writer.writeSignedVarint(value)
        case .set(let elements):
            writer.writeByte(4)
            encodeList(elements, to: &writer)
        case .map(let fields):
            writer.writeByte(5)
            encodeList(fields, to: &writer)
        case .register(let values):
            writer.writeByte(6)
            encodeList(values, to: &writer)
        case .flag(let enabled):
            writer.writeByte(7)
            writer.writeBool(enabled)
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        switch try reader.readByte() {
        case 0: self = .absent
        case 1:
            let values: [ByteString] = try decodeList(from: &reader)
            self = .siblings(values, includesDeletion: try reader.readBool())
        case 2: self = .value(try ByteString(from: &reader))
        case 3: self = .counter(try reader.readSignedVarint())
        case 4: self = .set(try decodeList(from: &reader))
        case 5: self = .map(try decodeList(from: &reader))
        case 6: self = .register(try decodeList(from: &reader))
        case 7: self = .flag(try reader.readBool())
        default: throw .invalidValue("unknown read value", offset: start)
        }
    }
}
