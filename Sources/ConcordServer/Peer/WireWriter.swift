/// Appends little-endian integers and length-prefixed byte strings: the
/// primitive layer of `RaftMessageCodec` and `ProposalEnvelope`.
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func write(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    mutating func write(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: Int) {
        write(UInt64(bitPattern: Int64(value)))
    }

    /// The start shared by the peer frames Concord sends (Raft messages,
    /// lease forwarding): format version, cluster id, sender, receiver.
    mutating func writePeerHeader(version: UInt8, clusterID: UInt64, from: UInt64, to: UInt64) {
        write(version)
        write(clusterID)
        write(from)
        write(to)
    }

    /// A 4-byte length, then the bytes.
    mutating func write(bytes data: [UInt8]) {
        write(UInt32(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func write(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads what `WireWriter` wrote, refusing anything cut short or out of range.
struct WireReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset == bytes.count }
    var remaining: Int { bytes.count - offset }

    mutating func readByte() throws(WireError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readBool() throws(WireError) -> Bool {
        let byte = try readByte()
        guard byte <= 1 else { throw .invalid("boolean byte \(byte) at offset \(offset - 1)") }
        return byte == 1
    }

    mutating func readUInt32() throws(WireError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated(offset: offset) }
        var value: UInt32 = 0
        for shift in 0..<4 { value |= UInt32(bytes[offset + shift]) << (8 * UInt32(shift)) }
        offset += 4
        return value
    }

    mutating func readUInt64() throws(WireError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(offset: offset) }
        var value: UInt64 = 0
        for shift in 0..<8 { value |= UInt64(bytes[offset + shift]) << (8 * UInt64(shift)) }
        offset += 8
        return value
    }

    /// Reads what `WireWriter.writePeerHeader` wrote, refusing another
    /// format version or a frame of another cluster. `kind` names the frame
    /// in the version error ("lease forwarding "; empty for Raft messages).
    mutating func readPeerHeader(version: UInt8, clusterID: UInt64, kind: String = "") throws(WireError) -> (from: UInt64, to: UInt64) {
        let found = try readByte()
        guard found == version else { throw .invalid("unsupported \(kind)version \(found)") }
        let cluster = try readUInt64()
        guard cluster == clusterID else { throw .invalid("message of cluster \(cluster), expected \(clusterID)") }
        return (try readUInt64(), try readUInt64())
    }

    /// An integer that must lie in `0...Int32.max` (offsets and counts).
    mutating func readCount() throws(WireError) -> Int {
        let value = try readUInt64()
        guard value <= UInt64(Int32.max) else { throw .invalid("count \(value) out of range at offset \(offset - 8)") }
        return Int(value)
    }

    mutating func readBytes() throws(WireError) -> [UInt8] {
        let count = Int(try readUInt32())
        guard remaining >= count else { throw .truncated(offset: offset) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }
}

/// Why bytes from a peer or from the log could not be decoded.
public enum WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes ended early.
    case truncated(offset: Int)
    /// A field held a value it may not hold.
    case invalid(String)

    /// A readable description.
    public var description: String {
        switch self {
        case .truncated(let offset): "message cut short at offset \(offset)"
        case .invalid(let reason): "invalid message: \(reason)"
        }
    }
}
