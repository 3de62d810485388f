import ConcordFoundation

extension Storage {
    /// The on-disk frame of one log record (docs/storage.md, "Record").
    ///
    /// ```
    /// offset size field
    ///      0    4 CRC-32C of bytes 4..<32 and the payload
    ///      4    4 payload length in bytes
    ///      8    1 record type (1 = log entry)
    ///      9    7 reserved, zero
    ///     16    8 index
    ///     24    8 term
    ///     32    n payload
    ///   32+n    p zero padding to a multiple of 8 bytes
    /// ```
    ///
    /// All integers are little-endian. An all-zero header is never a valid
    /// record (the CRC-32C of 28 zero bytes is not zero), so preallocated
    /// space reads as "no record here".
    enum RecordFrame {
        static let headerBytes = 32
        static let alignmentBytes = 8
        static let entryType: UInt8 = 1

        /// The bytes a record with this payload occupies, padding included.
        static func frameBytes(payloadBytes: Int) -> Int {
            (headerBytes + payloadBytes + alignmentBytes - 1) / alignmentBytes * alignmentBytes
        }

        /// Appends the frame of `entry` to `buffer`.
        static func encode(_ entry: LogRecord, into buffer: inout [UInt8]) {
            let start = buffer.count
            buffer.appendLittleEndian(UInt32(0))
            buffer.appendLittleEndian(UInt32(entry.payload.count))
            buffer.append(entryType)
            buffer.append(contentsOf: repeatElement(0, count: 7))
            buffer.appendLittleEndian(entry.index)
            buffer.appendLittleEndian(entry.term)
            buffer.append(contentsOf: entry.payload)
            let crc = CRC32C.checksum(buffer, range: (start + 4)..<buffer.count)
            buffer.append(contentsOf: repeatElement(0, count: frameBytes(payloadBytes: entry.payload.count) - (buffer.count - start)))
            withUnsafeBytes(of: crc.littleEndian) { crcBytes in
                buffer.replaceSubrange(start..<(start + 4), with: crcBytes)
            }
        }

        /// What a reader finds at one offset.
        enum Decoded: Equatable {
            /// A whole record and the bytes its frame occupies.
            case record(LogRecord, frameBytes: Int)
            /// Zeros: no record starts here.
            case empty
            /// Bytes that are not a whole, valid record.
            case invalid(String)
        }

        /// Decodes the frame at `offset` of `bytes`, which hold the file up to
        /// its end.
        static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int, payloadBytesMax: Int) -> Decoded {
            let available = bytes.count - offset
            if available < headerBytes {
                return bytes.isZero(offset..<bytes.count) ? .empty : .invalid("incomplete record header")
            }
            if bytes.isZero(offset..<(offset + headerBytes)) { return .empty }
            let stored = bytes.loadLittleEndian(UInt32.self, at: offset)
            let length = Int(bytes.loadLittleEndian(UInt32.self, at: offset + 4))
            if length > payloadBytesMax {
                return .invalid("payload length \(length) exceeds the limit of \(payloadBytesMax) bytes")
            }
            let frame = frameBytes(payloadBytes: length)
            if frame > available {
                return .invalid("record of \(frame) bytes extends past the end of the file")
            }
            // The cheap field checks come before the checksum, so that a scan
            // over garbage rarely pays for a CRC.
            let type = bytes[offset + 8]
            if type != entryType { return .invalid("unknown record type \(type)") }
            if !bytes.isZero((offset + 9)..<(offset + 16)) { return .invalid("non-zero reserved bytes") }
            let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + headerBytes + length)]))
            if computed != stored {
                return .invalid("checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))")
            }
            if !bytes.isZero((offset + headerBytes + length)..<(offset + frame)) {
                return .invalid("non-zero padding")
            }
            let index = bytes.loadLittleEndian(UInt64.self, at: offset + 16)
            let term = bytes.loadLittleEndian(UInt64.self, at: offset + 24)
            let payload = Array(UnsafeRawBufferPointer(rebasing: bytes[(offset + headerBytes)..<(offset + headerBytes + length)]))
            return .record(LogRecord(index: index, term: term, payload: payload), frameBytes: frame)
        }

        static func hex(_ value: UInt32) -> String {
            let digits = String(value, radix: 16)
            return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
        }
    }
}
