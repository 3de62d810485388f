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

extension ReplicaID: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { writer.writeVarint(rawValue) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) { self.init(try reader.readVarint()) }
}

extension Dot: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        writer.writeVarint(replica.rawValue)
        writer.writeVarint(counter)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let replica = ReplicaID(try reader.readVarint())
        let start = reader.offset
        let counter = try reader.readVarint()
        guard counter > 0 else { throw .invalidValue("dot counter 0", offset: start) }
        self.init(replica: replica, counter: counter)
    }
}

extension HybridTimestamp: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        writer.writeSignedVarint(wallNanoseconds)
        writer.writeVarint(UInt64(logical))
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let wall = try reader.readSignedVarint()
        let logical = try UInt32(from: &reader)
        self.init(wallNanoseconds: wall, logical: logical)
    }
}

/// Encodes replica-to-counter entries sorted by replica, each replica as the
/// gap from the previous one, so that dense identities take one byte.
func encodeCounters(_ entries: [ReplicaID: UInt64], to writer: inout BinaryWriter) {
    writer.writeVarint(UInt64(entries.count))
    var previous: UInt64 = 0
    for (replica, counter) in entries.sorted(by: { $0.key < $1.key }) {
        writer.writeVarint(replica.rawValue - previous)
        writer.writeVarint(counter)
        previous = replica.rawValue
    }
}

/// Decodes what ``encodeCounters(_:to:)`` wrote; rejects zero counters and
/// unsorted or repeated replicas, so every encoding is canonical.
func decodeCounters(from reader: inout BinaryReader) throws(BinaryDecodingError) -> [ReplicaID: UInt64] {
    let count = try reader.readCount(minimumBytesEach: 2)
    var entries: [ReplicaID: UInt64] = [:]
    entries.reserveCapacity(count)
    var previous: UInt64 = 0
    for index in 0..<count {
        let start = reader.offset
        let gap = try reader.readVarint()
        let (replica, overflow) = previous.addingReportingOverflow(gap)
        guard !overflow, index == 0 || gap > 0 else {
            throw .invalidValue("replicas not strictly increasing", offset: start)
        }
        let counter = try reader.readVarint()
        guard counter > 0 else { throw .invalidValue("zero counter", offset: start) }
        entries[ReplicaID(replica)] = counter
        previous = replica
    }
    return entries
}

extension VersionVector: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { encodeCounters(entries, to: &writer) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init(try decodeCounters(from: &reader))
    }
}

extension VectorClock: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { encodeCounters(entries, to: &writer) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init(try decodeCounters(from: &reader))
    }
}
