import ConcordFoundation

/// A binary-safe string: the keys, values, set elements and map fields of
/// the store (any bytes, as in Redis).
///
/// Byte strings order lexicographically by unsigned byte, so that every
/// structure that lists them (replies, digests, encodings) has one order.
public struct ByteString: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The bytes.
    public var bytes: [UInt8]

    /// A string holding these bytes.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// A string holding these bytes.
    public init(_ bytes: some Sequence<UInt8>) {
        self.bytes = Array(bytes)
    }

    /// The UTF-8 bytes of `text`.
    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// The number of bytes.
    public var count: Int { bytes.count }

    public static func < (lhs: ByteString, rhs: ByteString) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// The bytes as text when they are valid UTF-8, else as hexadecimal.
    public var description: String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return "0x" + bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}

extension ByteString: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        writer.writeBytes(bytes)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        bytes = Array(try reader.readBytes())
    }
}
