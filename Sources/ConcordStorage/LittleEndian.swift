/// Little-endian encoding of the fixed-width integers in Concord's file
/// formats.
extension Array where Element == UInt8 {
    mutating func appendLittleEndian<Integer: FixedWidthInteger>(_ value: Integer) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    func loadLittleEndian<Integer: FixedWidthInteger>(_: Integer.Type, at offset: Int) -> Integer {
        withUnsafeBytes { $0.loadLittleEndian(Integer.self, at: offset) }
    }
}

extension UnsafeRawBufferPointer {
    func loadLittleEndian<Integer: FixedWidthInteger>(_: Integer.Type, at offset: Int) -> Integer {
        Integer(littleEndian: loadUnaligned(fromByteOffset: offset, as: Integer.self))
    }

    /// Whether every byte in `range` is zero.
    func isZero(_ range: Range<Int>) -> Bool {
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
