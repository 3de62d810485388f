/// Appends the primitive values of Concord's KV formats: LEB128 unsigned
/// varints, zigzag varints for signed integers, length-prefixed byte
/// strings and single bytes.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init() {}

    mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func unsigned(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    mutating func signed(_ value: Int64) {
        unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func count(_ value: Int) {
        unsigned(UInt64(value))
    }

    mutating func data(_ value: [UInt8]) {
        count(value.count)
        bytes.append(contentsOf: value)
    }
}

/// Reads what `ByteWriter` wrote, throwing a typed error on anything else
/// (including a varint not in its shortest form).
/// A length or count larger than the bytes left is refused before anything
/// is allocated.
struct ByteReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - position }

    mutating func byte() throws(KVDecodingError) -> UInt8 {
        guard position < bytes.count else { throw .truncated }
        position += 1
        return bytes[position - 1]
    }

    mutating func unsigned() throws(KVDecodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            if shift == 63 && next > 1 { throw .invalidVarint }
            // Only the shortest form is accepted, so decoding is one-to-one.
            if shift > 0 && next == 0 { throw .invalidVarint }
            value |= UInt64(next & 0x7f) << shift
            if next & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { throw .invalidVarint }
        }
    }

    mutating func signed() throws(KVDecodingError) -> Int64 {
        let raw = try unsigned()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A count of elements, each at least `minimumBytes` long.
    mutating func count(minimumBytes: Int = 1) throws(KVDecodingError) -> Int {
        let value = try unsigned()
        guard value <= UInt64(remaining / max(minimumBytes, 1)) else { throw .lengthTooLarge(value) }
        return Int(value)
    }

    mutating func data() throws(KVDecodingError) -> [UInt8] {
        let length = try unsigned()
        guard length <= UInt64(remaining) else { throw .lengthTooLarge(length) }
        let start = position
        position += Int(length)
        return Array(bytes[start..<position])
    }

    mutating func flags(_ field: String, allowed: UInt8) throws(KVDecodingError) -> UInt8 {
        let value = try byte()
        guard value & ~allowed == 0 else { throw .invalidFlags(field: field, flags: value) }
        return value
    }

    func expectEnd() throws(KVDecodingError) {
        guard remaining == 0 else { throw .trailingBytes(remaining) }
    }
}
