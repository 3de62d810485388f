import ConcordFoundation

extension Storage {
    /// The state a Raft node must keep across restarts besides its log: the
    /// current term, the vote cast in it, and the commit index.
    public struct VoteRecord: Sendable, Hashable {
        /// The latest term the node has seen.
        public var term: UInt64
        /// The node voted for in `term`, if any.
        public var vote: UInt64?
        /// The highest index known to be committed.
        public var commit: UInt64

        /// Creates a hard state.
        public init(term: UInt64, vote: UInt64?, commit: UInt64) {
            self.term = term
            self.vote = vote
            self.commit = commit
        }
    }

    /// The `hardstate` file (docs/storage.md, "Hard state").
    ///
    /// It is replaced as a whole: the new state goes to `hardstate.tmp`,
    /// which is synced, renamed over `hardstate`, and the directory synced.
    /// A crash leaves either the old or the new file, never a mixture; a
    /// file that fails its checks is corruption, never a torn write.
    ///
    /// ```
    /// offset size field
    ///      0    8 magic "CNCRDHST"
    ///      8    4 format version (1)
    ///     12    4 flags: bit 0 set when a vote is present; others zero
    ///     16    8 term
    ///     24    8 vote (zero when absent)
    ///     32    8 commit index
    ///     40    4 reserved, zero
    ///     44    4 CRC-32C of bytes 0..<44
    /// ```
    enum VoteRecordFile {
        static let bytes = 48
        static let magic: [UInt8] = Array("CNCRDHST".utf8)
        static let version: UInt32 = 1

        static func encode(_ state: VoteRecord) -> [UInt8] {
            var buffer = magic
            buffer.appendLittleEndian(version)
            buffer.appendLittleEndian(UInt32(state.vote == nil ? 0 : 1))
            buffer.appendLittleEndian(state.term)
            buffer.appendLittleEndian(state.vote ?? 0)
            buffer.appendLittleEndian(state.commit)
            buffer.appendLittleEndian(UInt32(0))
            buffer.appendLittleEndian(CRC32C.checksum(buffer))
            return buffer
        }

        static func decode(_ bytes: [UInt8], path: String) throws -> VoteRecord {
            func corrupt(_ offset: UInt64, _ reason: String) -> StorageError {
                .corruptHardState(file: path, offset: offset, reason: reason)
            }
            guard bytes.count == Self.bytes else { throw corrupt(UInt64(min(bytes.count, Self.bytes)), "file is \(bytes.count) bytes, expected \(Self.bytes)") }
            guard Array(bytes[0..<8]) == magic else { throw corrupt(0, "bad magic: not a Concord hard-state file") }
            let stored = bytes.loadLittleEndian(UInt32.self, at: 44)
            guard stored == CRC32C.checksum(bytes, range: 0..<44) else { throw corrupt(44, "checksum mismatch") }
            let version = bytes.loadLittleEndian(UInt32.self, at: 8)
            guard version == Self.version else { throw corrupt(8, "unsupported format version \(version)") }
            let flags = bytes.loadLittleEndian(UInt32.self, at: 12)
            guard flags <= 1 else { throw corrupt(12, "unknown flags \(flags)") }
            let vote = bytes.loadLittleEndian(UInt64.self, at: 24)
            guard flags == 1 || vote == 0 else { throw corrupt(24, "vote set without its flag") }
            guard bytes.loadLittleEndian(UInt32.self, at: 40) == 0 else { throw corrupt(40, "non-zero reserved bytes") }
            return VoteRecord(
                term: bytes.loadLittleEndian(UInt64.self, at: 16),
                vote: flags == 1 ? vote : nil,
                commit: bytes.loadLittleEndian(UInt64.self, at: 32)
            )
        }
    }
}
