import ConcordFoundation
import ConcordClocks

// The byte format of the Paxos labs' key-value payloads (commands in log
// slots and state-machine snapshots), written with ConcordClocks' coder:
// integers and string lengths are fixed-width 8-byte little-endian words, not
// varints, so that slots (and so simulated runs and their trace hashes)
// keep the bytes they have always had.

extension BinaryWriter {
    /// Appends `value` as 8 little-endian bytes.
    mutating func writeFixedWidth(_ value: UInt64) {
        for shift in 0..<8 {
            writeByte(UInt8(truncatingIfNeeded: value >> (8 * UInt64(shift))))
        }
    }

    /// Appends a string's UTF-8 bytes after their count as a fixed-width word.
    mutating func writeFixedWidthString(_ value: String) {
        let utf8 = Array(value.utf8)
        writeFixedWidth(UInt64(utf8.count))
        for byte in utf8 { writeByte(byte) }
    }

    /// Appends a presence tag (0 absent, 1 present) and then the string.
    mutating func writeFixedWidthOptionalString(_ value: String?) {
        if let value {
            writeByte(1)
            writeFixedWidthString(value)
        } else {
            writeByte(0)
        }
    }
}

extension BinaryReader {
    /// Reads 8 little-endian bytes.
    mutating func readFixedWidthUInt64() throws(BinaryDecodingError) -> UInt64 {
        guard remainingCount >= 8 else { throw .truncated(offset: offset) }
        var value: UInt64 = 0
        for shift in 0..<8 {
            value |= UInt64(try readByte()) << (8 * UInt64(shift))
        }
        return value
    }

    /// Reads a string written by ``BinaryWriter/writeFixedWidthString(_:)``;
    /// ill-formed UTF-8 is repaired, as the lab always did.
    mutating func readFixedWidthString() throws(BinaryDecodingError) -> String {
        let count = try readFixedWidthUInt64()
        guard UInt64(remainingCount) >= count else { throw .truncated(offset: offset) }
        var utf8: [UInt8] = []
        utf8.reserveCapacity(Int(count))
        for _ in 0..<count { utf8.append(try readByte()) }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Reads a string written by
    /// ``BinaryWriter/writeFixedWidthOptionalString(_:)``.
    mutating func readFixedWidthOptionalString() throws(BinaryDecodingError) -> String? {
        let start = offset
        switch try readByte() {
        case 0: return nil
        case 1: return try readFixedWidthString()
        case let tag: throw .invalidValue("optional tag \(tag)", offset: start)
        }
    }
}
