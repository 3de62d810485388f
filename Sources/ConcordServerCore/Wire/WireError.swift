import ConcordFoundation

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

    /// The server formats' name for a failure of ConcordFoundation's reader.
    init(_ error: BinaryDecodingError) {
        switch error {
        case .truncated(let offset): self = .truncated(offset: offset)
        case .varintTooLong(let offset): self = .invalid("varint too long at offset \(offset)")
        case .lengthTooLarge(let length, let offset): self = .invalid("length \(length) at offset \(offset) exceeds the message")
        case .invalidUTF8(let offset): self = .invalid("text at offset \(offset) is not UTF-8")
        case .invalidValue(let reason, let offset): self = .invalid("\(reason) at offset \(offset)")
        case .trailingBytes(let count): self = .invalid("\(count) bytes after the message")
        }
    }
}

/// The reads of the server's formats (log payloads, peer frames, the member
/// registry, snapshots): ConcordFoundation's reader with failures reported
/// as `WireError`.
extension BinaryReader {
    public mutating func wireByte() throws(WireError) -> UInt8 {
        do { return try readByte() } catch { throw WireError(error) }
    }

    public mutating func wireBool() throws(WireError) -> Bool {
        do { return try readBool() } catch { throw WireError(error) }
    }

    public mutating func wireUInt32() throws(WireError) -> UInt32 {
        do { return try readFixed(UInt32.self) } catch { throw WireError(error) }
    }

    public mutating func wireUInt64() throws(WireError) -> UInt64 {
        do { return try readFixed(UInt64.self) } catch { throw WireError(error) }
    }

    public mutating func wireInt64() throws(WireError) -> Int64 {
        Int64(bitPattern: try wireUInt64())
    }

    /// A count written as 8 bytes that must lie in `0...Int32.max`.
    public mutating func wireCount() throws(WireError) -> Int {
        let start = offset
        let value = try wireUInt64()
        guard value <= UInt64(Int32.max) else { throw .invalid("count \(value) out of range at offset \(start)") }
        return Int(value)
    }

    /// A count written as 4 bytes of items each at least `minimumBytes`
    /// long: refused before anything is allocated when the rest of the
    /// message cannot hold it.
    public mutating func wireItemCount(minimumBytes: Int, of what: String) throws(WireError) -> Int {
        let count = Int(try wireUInt32())
        guard count <= remainingCount / max(minimumBytes, 1) else { throw .invalid("\(what) count \(count) exceeds the message") }
        return count
    }

    /// A byte string after its 4-byte length.
    public mutating func wireBytes() throws(WireError) -> [UInt8] {
        do { return Array(try readFixedLengthBytes()) } catch { throw WireError(error) }
    }

    /// A UTF-8 string of at most `bytesMax` bytes after its 4-byte length.
    public mutating func wireText(bytesMax: Int) throws(WireError) -> String {
        let bytes = try wireBytes()
        guard bytes.count <= bytesMax else { throw .invalid("text of \(bytes.count) bytes is too long") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalid("text is not UTF-8") }
        return text
    }

    public func wireEnd(_ what: String) throws(WireError) {
        guard isAtEnd else { throw .invalid("\(remainingCount) bytes after the \(what)") }
    }
}
