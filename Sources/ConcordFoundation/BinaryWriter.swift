/// Writes Concord's binary encodings: unsigned LEB128 varints, zigzag
/// varints for signed integers, fixed-width little-endian integers, single
/// bytes, and length-prefixed byte strings.
///
/// This is the one byte writer of the project: log payloads, peer frames,
/// the MVCC store's snapshots, CRDT states and the storage files all use it
/// (each format documents which primitives it uses where). The writer adds
/// no version or checksum of its own; formats that need one write it.
public struct BinaryWriter: Sendable {
    /// The bytes written so far.
    @inlinable public var bytes: [UInt8] { storage }
    @usableFromInline var storage: [UInt8] = []

    /// An empty writer.
    @inlinable public init() {}

    /// An empty writer with room for `capacity` bytes.
    @inlinable public init(capacity: Int) {
        storage.reserveCapacity(capacity)
    }

    /// The number of bytes written so far.
    @inlinable public var count: Int { bytes.count }

    /// Appends an unsigned varint: seven bits per byte, low bits first, the
    /// high bit set on every byte but the last.
    @inlinable public mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            storage.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        storage.append(UInt8(remaining))
    }

    /// Appends a signed integer as a zigzag varint (small magnitudes stay short).
    @inlinable public mutating func writeSignedVarint(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Appends one byte.
    @inlinable public mutating func writeByte(_ value: UInt8) {
        storage.append(value)
    }

    /// Appends a boolean as one byte, 0 or 1.
    @inlinable public mutating func writeBool(_ value: Bool) {
        storage.append(value ? 1 : 0)
    }

    /// Appends a fixed-width integer as its little-endian bytes.
    @inlinable public mutating func writeFixed<Integer: FixedWidthInteger>(_ value: Integer) {
        storage.appendLittleEndian(value)
    }

    /// Appends bytes as they are, with no length.
    @inlinable public mutating func writeRaw(_ value: some Collection<UInt8>) {
        storage.append(contentsOf: value)
    }

    /// Appends a byte string after its length as a varint.
    @inlinable public mutating func writeBytes(_ value: some Collection<UInt8>) {
        writeVarint(UInt64(value.count))
        storage.append(contentsOf: value)
    }

    /// Appends a byte string after its length as a 4-byte little-endian
    /// word (the peer and log formats, whose lengths stay at fixed offsets).
    @inlinable public mutating func writeFixedLengthBytes(_ value: some Collection<UInt8>) {
        precondition(value.count <= Int(UInt32.max), "a byte string of \(value.count) bytes does not fit a 4-byte length")
        writeFixed(UInt32(value.count))
        storage.append(contentsOf: value)
    }

    /// Appends a length-prefixed (varint) UTF-8 string.
    @inlinable public mutating func writeString(_ value: String) {
        writeBytes(value.utf8)
    }

    /// Appends any binary-encodable value.
    @inlinable public mutating func write<Value: BinaryEncodable>(_ value: Value) {
        value.encode(to: &self)
    }

    /// Hands the bytes over, leaving the writer empty.
    @inlinable public mutating func take() -> [UInt8] {
        defer { storage = [] }
        return storage
    }
}
