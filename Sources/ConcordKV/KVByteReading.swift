import ConcordFoundation

extension KVDecodingError {
    /// The KV formats' name for a failure of ConcordFoundation's reader.
    init(_ error: BinaryDecodingError) {
        switch error {
        case .truncated: self = .truncated
        case .varintTooLong: self = .invalidVarint
        case .lengthTooLarge(let length, _): self = .lengthTooLarge(length)
        case .trailingBytes(let count): self = .trailingBytes(count)
        case .invalidValue(let reason, _) where reason == "overlong varint": self = .invalidVarint
        case .invalidValue(let reason, let offset): self = .inconsistentSnapshot("\(reason) at offset \(offset)")
        case .invalidUTF8(let offset): self = .inconsistentSnapshot("invalid UTF-8 at offset \(offset)")
        }
    }
}

/// The reads of the KV formats (commands and snapshots): ConcordFoundation's
/// reader with its failures reported as `KVDecodingError`.
extension BinaryReader {
    mutating func byte() throws(KVDecodingError) -> UInt8 {
        do { return try readByte() } catch { throw KVDecodingError(error) }
    }

    mutating func unsigned() throws(KVDecodingError) -> UInt64 {
        do { return try readVarint() } catch { throw KVDecodingError(error) }
    }

    mutating func signed() throws(KVDecodingError) -> Int64 {
        do { return try readSignedVarint() } catch { throw KVDecodingError(error) }
    }

    /// A count of elements, each at least `minimumBytes` long.
    mutating func count(minimumBytes: Int = 1) throws(KVDecodingError) -> Int {
        do { return try readCount(minimumBytesEach: minimumBytes) } catch { throw KVDecodingError(error) }
    }

    mutating func data() throws(KVDecodingError) -> [UInt8] {
        do { return Array(try readBytes()) } catch { throw KVDecodingError(error) }
    }

    mutating func flags(_ field: String, allowed: UInt8) throws(KVDecodingError) -> UInt8 {
        let value = try byte()
        guard value & ~allowed == 0 else { throw .invalidFlags(field: field, flags: value) }
        return value
    }

    func expectEnd() throws(KVDecodingError) {
        guard remainingCount == 0 else { throw .trailingBytes(remainingCount) }
    }
}
