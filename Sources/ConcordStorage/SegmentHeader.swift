import ConcordFoundation

extension Storage {
    /// The first 32 bytes of every segment file (docs/storage.md,
    /// "Segment file").
    ///
    /// ```
    /// offset size field
    ///      0    8 magic "CNCRDWAL"
    ///      8    4 format version (1)
    ///     12    4 header length in bytes (32)
    ///     16    8 index of the segment's first record
    ///     24    4 reserved, zero
    ///     28    4 CRC-32C of bytes 0..<28
    /// ```
    enum SegmentHeader {
        static let bytes = 32
        static let magic: [UInt8] = Array("CNCRDWAL".utf8)
        static let version: UInt32 = 1

        static func encode(firstIndex: UInt64) -> [UInt8] {
            var buffer = magic
            buffer.appendLittleEndian(version)
            buffer.appendLittleEndian(UInt32(bytes))
            buffer.appendLittleEndian(firstIndex)
            buffer.appendLittleEndian(UInt32(0))
            buffer.appendLittleEndian(CRC32C.checksum(buffer))
            return buffer
        }

        /// The first index the header records, or why it is not a valid
        /// header.
        static func decode(_ header: UnsafeRawBufferPointer) -> Result<UInt64, HeaderProblem> {
            guard header.count >= bytes else { return .failure(HeaderProblem("file of \(header.count) bytes is shorter than the header")) }
            guard Array(header[0..<8]) == magic else { return .failure(HeaderProblem("bad magic: not a Concord log segment")) }
            let stored = header.loadLittleEndian(UInt32.self, at: 28)
            let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: header[0..<28]))
            guard stored == computed else { return .failure(HeaderProblem("header checksum mismatch")) }
            let version = header.loadLittleEndian(UInt32.self, at: 8)
            guard version == Self.version else { return .failure(HeaderProblem("unsupported format version \(version)")) }
            guard header.loadLittleEndian(UInt32.self, at: 12) == UInt32(bytes),
                header.loadLittleEndian(UInt32.self, at: 24) == 0
            else { return .failure(HeaderProblem("unexpected header fields")) }
            return .success(header.loadLittleEndian(UInt64.self, at: 16))
        }

        struct HeaderProblem: Error {
            let reason: String
            init(_ reason: String) { self.reason = reason }
        }
    }
}
