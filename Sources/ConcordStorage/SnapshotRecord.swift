import ConcordFoundation

extension Storage {
    /// A snapshot of the state machine: everything up to and including
    /// `index`, which was created in `term`.
    public struct SnapshotRecord: Sendable, Hashable {
        /// The last log index the snapshot covers.
        public var index: UInt64
        /// The term of the entry at `index`.
        public var term: UInt64
        /// The state machine's bytes (and whatever else the caller keeps
        /// with them, such as the cluster configuration), opaque to storage.
        public var data: [UInt8]

        /// Creates a snapshot.
        public init(index: UInt64, term: UInt64, data: [UInt8]) {
            self.index = index
            self.term = term
            self.data = data
        }
    }

    /// The snapshot file format (docs/storage.md, "SnapshotRecord file").
    ///
    /// ```
    /// offset size field
    ///      0    8 magic "CNCRDSNP"
    ///      8    4 format version (1)
    ///     12    4 reserved, zero
    ///     16    8 index
    ///     24    8 term
    ///     32    8 data length in bytes
    ///     40    4 CRC-32C of the data
    ///     44    4 CRC-32C of bytes 0..<44
    ///     48    n data
    /// ```
    enum SnapshotFile {
        static let headerBytes = 48
        static let magic: [UInt8] = Array("CNCRDSNP".utf8)
        static let version: UInt32 = 1

        static func encode(_ snapshot: SnapshotRecord) -> [UInt8] {
            var buffer = header(index: snapshot.index, term: snapshot.term, dataParts: [snapshot.data])
            buffer.append(contentsOf: snapshot.data)
            return buffer
        }

        /// The header of a file whose data is `dataParts` one after the
        /// other: the file is the header followed by the parts, without
        /// gathering them into one buffer.
        static func header(index: UInt64, term: UInt64, dataParts: [[UInt8]]) -> [UInt8] {
            header(
                index: index, term: term, dataBytes: UInt64(dataParts.reduce(0) { $0 + $1.count }),
                dataChecksum: dataParts.reduce(UInt32(0)) { CRC32C.checksum($1, continuing: $0) })
        }

        /// The header of a file whose data is `dataBytes` long with the
        /// CRC-32C `dataChecksum`.
        static func header(index: UInt64, term: UInt64, dataBytes: UInt64, dataChecksum: UInt32) -> [UInt8] {
            var buffer = magic
            buffer.reserveCapacity(headerBytes)
            buffer.appendLittleEndian(version)
            buffer.appendLittleEndian(UInt32(0))
            buffer.appendLittleEndian(index)
            buffer.appendLittleEndian(term)
            buffer.appendLittleEndian(dataBytes)
            buffer.appendLittleEndian(dataChecksum)
            buffer.appendLittleEndian(CRC32C.checksum(buffer))
            return buffer
        }

        static func decode(_ bytes: [UInt8], path: String) throws -> SnapshotRecord {
            func corrupt(_ offset: UInt64, _ reason: String) -> StorageError {
                .corruptSnapshot(file: path, offset: offset, reason: reason)
            }
            guard bytes.count >= headerBytes else { throw corrupt(UInt64(bytes.count), "file of \(bytes.count) bytes is shorter than the header") }
            guard Array(bytes[0..<8]) == magic else { throw corrupt(0, "bad magic: not a Concord snapshot") }
            guard bytes.loadLittleEndian(UInt32.self, at: 44) == CRC32C.checksum(bytes, range: 0..<44) else {
                throw corrupt(44, "header checksum mismatch")
            }
            let version = bytes.loadLittleEndian(UInt32.self, at: 8)
            guard version == Self.version else { throw corrupt(8, "unsupported format version \(version)") }
            guard bytes.loadLittleEndian(UInt32.self, at: 12) == 0 else { throw corrupt(12, "non-zero reserved bytes") }
            let length = bytes.loadLittleEndian(UInt64.self, at: 32)
            guard length == UInt64(bytes.count - headerBytes) else {
                throw corrupt(32, "header says \(length) data bytes, file holds \(bytes.count - headerBytes)")
            }
            guard bytes.loadLittleEndian(UInt32.self, at: 40) == CRC32C.checksum(bytes, range: headerBytes..<bytes.count) else {
                throw corrupt(UInt64(headerBytes), "data checksum mismatch")
            }
            return SnapshotRecord(
                index: bytes.loadLittleEndian(UInt64.self, at: 16),
                term: bytes.loadLittleEndian(UInt64.self, at: 24),
                data: Array(bytes[headerBytes...])
            )
        }
    }
}
