/// A value with a compact binary form (see ``BinaryWriter``).
public protocol BinaryEncodable {
    /// Appends the value's encoding.
    func encode(to writer: inout BinaryWriter)
}

/// A value that can be read back from its compact binary form.
public protocol BinaryDecodable {
    /// Reads a value, throwing on truncated or invalid input.
    init(from reader: inout BinaryReader) throws(BinaryDecodingError)
}

/// A value with a compact binary form that reads back to an equal value.
public typealias BinaryCodable = BinaryEncodable & BinaryDecodable

extension BinaryEncodable {
    /// The value's complete encoding.
    public func binaryEncoded() -> [UInt8] {
        var writer = BinaryWriter()
        encode(to: &writer)
        return writer.bytes
    }
}

extension BinaryDecodable {
    /// Decodes a value that must take up all of `bytes`.
    public init(binaryEncoded bytes: [UInt8]) throws(BinaryDecodingError) {
        var reader = BinaryReader(bytes)
        self = try Self(from: &reader)
        try reader.finish()
    }
}

extension UInt64: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { writer.writeVarint(self) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) { self = try reader.readVarint() }
}

extension Int64: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { writer.writeSignedVarint(self) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) { self = try reader.readSignedVarint() }
}

extension Int: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { writer.writeSignedVarint(Int64(self)) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        guard let value = Int(exactly: try reader.readSignedVarint()) else {
            throw .invalidValue("integer out of range", offset: start)
        }
        self = value
    }
}

extension UInt32: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { writer.writeVarint(UInt64(self)) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        guard let value = UInt32(exactly: try reader.readVarint()) else {
            throw .invalidValue("32-bit integer out of range", offset: start)
        }
        self = value
    }
}

extension String: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { writer.writeString(self) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) { self = try reader.readString() }
}

extension Bool: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { writer.writeByte(self ? 1 : 0) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        switch try reader.readByte() {
        case 0: self = false
        case 1: self = true
        default: throw .invalidValue("boolean byte other than 0 or 1", offset: start)
        }
    }
}

extension Optional: BinaryEncodable where Wrapped: BinaryEncodable {
    public func encode(to writer: inout BinaryWriter) {
        switch self {
        case .none: writer.writeByte(0)
        case .some(let value):
            writer.writeByte(1)
            value.encode(to: &writer)
        }
    }
}

extension Optional: BinaryDecodable where Wrapped: BinaryDecodable {
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        switch try reader.readByte() {
        case 0: self = .none
        case 1: self = .some(try Wrapped(from: &reader))
        default: throw .invalidValue("optional tag other than 0 or 1", offset: start)
        }
    }
}
