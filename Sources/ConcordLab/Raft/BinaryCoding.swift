/// A little-endian byte writer and reader for the payloads of the Raft
/// key-value lab: commands in log entries and state-machine snapshots.
struct BinaryWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func write(_ value: String) {
        let utf8 = Array(value.utf8)
        write(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func write(_ value: String?) {
        if let value {
            write(UInt8(1))
            write(value)
        } else {
            write(UInt8(0))
        }
    }
}

/// Why bytes could not be decoded.
enum BinaryDecodingError: Error, Equatable {
    case truncated
    case invalid(String)
}

struct BinaryReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { position == bytes.count }

    mutating func readUInt64() throws(BinaryDecodingError) -> UInt64 {
        guard bytes.count - position >= 8 else { throw .truncated }
        var value: UInt64 = 0
        for shift in 0..<8 {
            value |= UInt64(bytes[position + shift]) << (8 * UInt64(shift))
        }
        position += 8
        return value
    }

    mutating func readUInt8() throws(BinaryDecodingError) -> UInt8 {
        guard position < bytes.count else { throw .truncated }
        position += 1
        return bytes[position - 1]
    }

    mutating func readString() throws(BinaryDecodingError) -> String {
        let count = try readUInt64()
        guard UInt64(bytes.count - position) >= count else { throw .truncated }
        let slice = bytes[position..<(position + Int(count))]
        position += Int(count)
        return String(decoding: slice, as: UTF8.self)
    }

    mutating func readOptionalString() throws(BinaryDecodingError) -> String? {
        switch try readUInt8() {
        case 0: return nil
        case 1: return try readString()
        case let tag: throw .invalid("optional tag \(tag)")
        }
    }
}
