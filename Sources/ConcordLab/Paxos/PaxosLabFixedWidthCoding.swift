import ConcordFoundation

// The layout of the Paxos labs' key-value payloads (commands in log slots
// and state-machine snapshots): integers and string lengths are fixed-width
// 8-byte little-endian words rather than varints, so that slots (and so
// simulated runs and their trace hashes) keep the bytes they have always
// had. Only the layout lives here; every byte goes through the foundation's
// `writeFixed`/`readFixed`/`writeRaw`/`readRaw`.

extension BinaryWriter {
    /// Appends `value` as 8 little-endian bytes.
    mutating func writeFixedWidth(_ value: UInt64) {
        writeFixed(value)
    }

    /// Appends a string's UTF-8 bytes after their count as a fixed-width word.
    mutating func writeFixedWidthString(_ value: String) {
        let utf8 = Array(value.utf8)
        writeFixed(UInt64(utf8.count))
        writeRaw(utf8)
    }

    /// Appends a presence tag (0 absent, 1 present) and then the string.
    mutating func writeFixedWidthOptionalString(_ value: String?) {
        guard let value else {
            writeByte(0)
            return
        }
        writeByte(1)
        writeFixedWidthString(value)
    }
}

extension BinaryReader {
    /// Reads 8 little-endian bytes.
    mutating func readFixedWidthUInt64() throws(BinaryDecodingError) -> UInt64 {
        try readFixed(UInt64.self)
    }

    /// Reads a string written by ``BinaryWriter/writeFixedWidthString(_:)``;
    /// ill-formed UTF-8 is repaired, as the lab always did.
    mutating func readFixedWidthString() throws(BinaryDecodingError) -> String {
        let count = try readFixed(UInt64.self)
        guard UInt64(remainingCount) >= count else { throw .truncated(offset: offset) }
        return String(decoding: try readRaw(count: Int(count)), as: UTF8.self)
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
