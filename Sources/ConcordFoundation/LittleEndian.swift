/// Fixed-width little-endian integers in byte arrays and raw buffers: the
/// primitive under ``BinaryWriter/writeFixed(_:)`` and
/// ``BinaryReader/readFixed(_:)``, and what the storage files use directly on
/// their hot paths.
extension Array where Element == UInt8 {
    /// Appends `value`'s little-endian bytes.
    @inlinable public mutating func appendLittleEndian<Integer: FixedWidthInteger>(_ value: Integer) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// The integer whose little-endian bytes start at `offset`.
    /// - Precondition: `offset + Integer.bitWidth / 8 <= count`.
    @inlinable public func loadLittleEndian<Integer: FixedWidthInteger>(_: Integer.Type, at offset: Int) -> Integer {
        precondition(offset >= 0 && offset + Integer.bitWidth / 8 <= count, "little-endian load past the end")
        return withUnsafeBytes { $0.loadLittleEndian(Integer.self, at: offset) }
    }
}

extension UnsafeRawBufferPointer {
    /// The integer whose little-endian bytes start at `offset` (any alignment).
    @inlinable public func loadLittleEndian<Integer: FixedWidthInteger>(_: Integer.Type, at offset: Int) -> Integer {
        Integer(littleEndian: loadUnaligned(fromByteOffset: offset, as: Integer.self))
    }

    /// Whether every byte in `range` is zero.
    @inlinable public func isZero(_ range: Range<Int>) -> Bool {
        var position = range.lowerBound
        while position + 8 <= range.upperBound {
            if loadUnaligned(fromByteOffset: position, as: UInt64.self) != 0 { return false }
            position += 8
        }
        while position < range.upperBound {
            if self[position] != 0 { return false }
            position += 1
        }
        return true
    }
}
