import ConcordFoundation

extension Storage {
    /// Reads the records of one segment file on recovery and decides where
    /// they end and whether what follows is a torn tail.
    enum SegmentScan {
        struct Outcome {
            var records = RecordIndex()
            /// Where the valid records end.
            var endOffset: Int
            /// The first offset at which the bytes are neither a valid record
            /// nor zeros to the end of the file, and why.
            var failure: (offset: Int, reason: String)?
        }

        /// Scans the records of a segment whose header has been checked.
        ///
        /// - Throws: ``StorageError/corruptRecord(file:offset:reason:)`` for
        ///   a valid record whose index is not the next one.
        static func scan(_ bytes: UnsafeRawBufferPointer, firstIndex: UInt64, path: String) throws -> Outcome {
            var outcome = Outcome(endOffset: SegmentHeader.bytes)
            var offset = SegmentHeader.bytes
            var expected = firstIndex
            while offset < bytes.count {
                switch RecordFrame.decode(bytes, at: offset, payloadBytesMax: Int(UInt32.max)) {
                case let .record(entry, frameBytes):
                    guard entry.index == expected else {
                        throw StorageError.corruptRecord(
                            file: path, offset: UInt64(offset),
                            reason: "record has index \(entry.index) where \(expected) was expected")
                    }
                    outcome.records.append(offset: offset)
                    offset += frameBytes
                    outcome.endOffset = offset
                    expected += 1
                case .empty:
                    if let nonZero = firstNonZero(bytes, from: offset) {
                        outcome.failure = (offset, "unexpected non-zero bytes at offset \(nonZero) after the last record")
                    }
                    return outcome
                case let .invalid(reason):
                    outcome.failure = (offset, reason)
                    return outcome
                }
            }
            return outcome
        }

        /// The offset of the first valid record frame after `offset`, if any.
        static func validFrame(_ bytes: UnsafeRawBufferPointer, after offset: Int) -> Int? {
            var candidate = offset + RecordFrame.alignmentBytes
            while candidate + RecordFrame.headerBytes <= bytes.count {
                if !bytes.isZero(candidate..<(candidate + RecordFrame.headerBytes)),
                    case .record = RecordFrame.decode(bytes, at: candidate, payloadBytesMax: Int(UInt32.max))
                {
                    return candidate
                }
                candidate += RecordFrame.alignmentBytes
            }
            return nil
        }

        /// The offset of the first non-zero byte at or after `offset`.
        static func firstNonZero(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> Int? {
            var position = offset
            while position + 8 <= bytes.count {
                if bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self) != 0 { break }
                position += 8
            }
            while position < bytes.count {
                if bytes[position] != 0 { return position }
                position += 1
            }
            return nil
        }

        /// The offset just past the last non-zero byte.
        static func endOfNonZero(_ bytes: UnsafeRawBufferPointer) -> Int {
            var end = bytes.count
            while end >= 8 && bytes.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self) == 0 { end -= 8 }
            while end > 0 && bytes[end - 1] == 0 { end -= 1 }
            return end
        }
    }
}
