/// Why bytes could not be decoded. Decoding never traps on bad input.
public enum BinaryDecodingError: Error, Hashable, Sendable {
    /// The input ended in the middle of a value, at this byte offset.
    case truncated(offset: Int)
    /// A varint ran past 64 bits, at this byte offset.
    case varintTooLong(offset: Int)
    /// A length or count is larger than the rest of the input could hold, or
    /// larger than the decoder's limit.
    case lengthTooLarge(length: UInt64, offset: Int)
    /// A string was not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// A value is outside its type's domain (for example a zero dot counter,
    /// an unknown tag, or an unsorted, duplicated key).
    case invalidValue(String, offset: Int)
    /// Bytes were left over after the value.
    case trailingBytes(count: Int)
}

/// Reads what ``BinaryWriter`` writes.
///
/// Every read checks bounds and throws ``BinaryDecodingError``; nothing
/// traps on truncated or garbage input. Varints are accepted only in their
/// shortest form, so decoding then encoding gives back the same bytes, and a
/// length or count larger than the rest of the input is refused before
/// anything is allocated.
public struct BinaryReader: Sendable {
    /// The input.
    public let bytes: [UInt8]
    /// The offset of the next unread byte.
    public private(set) var offset: Int = 0

    /// A reader at the start of `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// A reader at the start of `bytes`.
    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = Array(bytes)
    }

    /// The number of unread bytes.
    public var remainingCount: Int { bytes.count - offset }

    /// True once every byte has been read.
    public var isAtEnd: Bool { offset == bytes.count }

    /// Reads an unsigned varint.
    public mutating func readVarint() throws(BinaryDecodingError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw .truncated(offset: offset) }
            let byte = bytes[offset]
            offset += 1
            let payload = UInt64(byte & 0x7F)
            // The tenth byte may carry only the single top bit.
            if shift == 63 && payload > 1 || shift > 63 { throw .varintTooLong(offset: start) }
            result |= payload << shift
            if byte & 0x80 == 0 {
                // A last group of zero after others is an overlong encoding: refusing it
                // keeps every value's encoding unique, so decode-then-encode is the identity.
                if byte == 0 && shift > 0 { throw .invalidValue("overlong varint", offset: start) }
                return result
            }
            shift += 7
        }
    }

    /// Reads a zigzag varint.
    public mutating func readSignedVarint() throws(BinaryDecodingError) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Reads one byte.
    public mutating func readByte() throws(BinaryDecodingError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a boolean byte, refusing anything but 0 and 1.
    public mutating func readBool() throws(BinaryDecodingError) -> Bool {
        let start = offset
        switch try readByte() {
        case 0: return false
        case 1: return true
        case let other: throw .invalidValue("boolean byte \(other)", offset: start)
        }
    }

    /// Reads a fixed-width little-endian integer.
    public mutating func readFixed<Integer: FixedWidthInteger>(_: Integer.Type = Integer.self) throws(BinaryDecodingError) -> Integer {
        let width = Integer.bitWidth / 8
        guard remainingCount >= width else { throw .truncated(offset: offset) }
        defer { offset += width }
        return bytes.loadLittleEndian(Integer.self, at: offset)
    }

    /// Reads `count` bytes as they are.
    public mutating func readRaw(count: Int) throws(BinaryDecodingError) -> ArraySlice<UInt8> {
        guard count >= 0, remainingCount >= count else { throw .truncated(offset: offset) }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// Reads every byte not yet read.
    public mutating func readRest() -> ArraySlice<UInt8> {
        defer { offset = bytes.count }
        return bytes[offset...]
    }

    /// Reads a byte string written by
    /// ``BinaryWriter/writeFixedLengthBytes(_:)``.
    public mutating func readFixedLengthBytes() throws(BinaryDecodingError) -> ArraySlice<UInt8> {
        let start = offset
        let count = try readFixed(UInt32.self)
        guard UInt64(count) <= UInt64(remainingCount) else { throw .lengthTooLarge(length: UInt64(count), offset: start) }
        return try readRaw(count: Int(count))
    }

    /// Reads a count of items that each take at least `minimumBytesEach`
    /// bytes, rejecting counts the remaining input cannot hold (so a forged
    /// count cannot make the decoder reserve huge amounts of memory).
    public mutating func readCount(minimumBytesEach: Int = 1) throws(BinaryDecodingError) -> Int {
        let start = offset
        let count = try readVarint()
        guard count <= UInt64(remainingCount / max(minimumBytesEach, 1)) else {
            throw .lengthTooLarge(length: count, offset: start)
        }
        return Int(count)
    }

    /// Reads a length-prefixed byte string.
    public mutating func readBytes() throws(BinaryDecodingError) -> ArraySlice<UInt8> {
        let count = try readCount()
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// Reads a length-prefixed UTF-8 string.
    public mutating func readString() throws(BinaryDecodingError) -> String {
        let start = offset
        let raw = try readBytes()
        guard let string = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
        return string
    }

    /// Reads any binary-decodable value.
    public mutating func read<Value: BinaryDecodable>(_ type: Value.Type = Value.self) throws(BinaryDecodingError) -> Value {
        try Value(from: &self)
    }

    /// Throws unless every byte has been read.
    public func finish() throws(BinaryDecodingError) {
        guard remainingCount == 0 else { throw .trailingBytes(count: remainingCount) }
    }
}
