/// Writes Concord's compact binary encoding: unsigned LEB128 varints,
/// zigzag varints for signed integers, and length-prefixed byte strings.
///
/// The encoding is the one measured in docs/benchmarks.md; it is meant for
/// shipping states and deltas between replicas, not for long-term storage
/// (it carries no version or checksum; the transport adds those).
public struct BinaryWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer.
    public init() {}

    /// Appends an unsigned varint: seven bits per byte, low bits first, the
    /// high bit set on every byte but the last.
    public mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    /// Appends a signed integer as a zigzag varint (small magnitudes stay short).
    public mutating func writeSignedVarint(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Appends one byte.
    public mutating func writeByte(_ value: UInt8) {
        bytes.append(value)
    }

    /// Appends a length-prefixed byte string.
    public mutating func writeBytes(_ value: some Collection<UInt8>) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Appends a length-prefixed UTF-8 string.
    public mutating func writeString(_ value: String) {
        writeBytes(Array(value.utf8))
    }

    /// Appends any binary-encodable value.
    public mutating func write<Value: BinaryEncodable>(_ value: Value) {
        value.encode(to: &self)
    }
}
