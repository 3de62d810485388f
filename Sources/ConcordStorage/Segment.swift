extension Storage {
    /// Where the records of one segment start, kept sparsely: the offset of
    /// every ``stride``-th record. A reader finds any other record by
    /// decoding forward from the checkpoint before it, which costs at most
    /// `stride - 1` extra frames; memory is 8 bytes per `stride` records
    /// instead of 8 bytes per record (docs/storage.md, "Limits and costs").
    struct RecordIndex {
        /// Records between checkpoints.
        static let stride = 64

        /// How many records the segment holds.
        private(set) var count = 0
        /// `checkpoints[k]` is the byte offset of record `k * stride`.
        private(set) var checkpoints: [Int] = []

        /// Notes the record at position `count`, which starts at `offset`.
        mutating func append(offset: Int) {
            if count % Self.stride == 0 { checkpoints.append(offset) }
            count += 1
        }

        /// The checkpoint at or before `position`: its offset and how many
        /// records lie between it and `position`.
        func checkpoint(before position: Int) -> (offset: Int, skip: Int) {
            precondition(position >= 0 && position < count, "record position out of range")
            return (checkpoints[position / Self.stride], position % Self.stride)
        }

        /// An offset at or after the end of the record at `position` where
        /// a record starts, or nil if it is the last record's end.
        func checkpoint(after position: Int) -> Int? {
            let next = position / Self.stride + 1
            return next < checkpoints.count ? checkpoints[next] : nil
        }

        /// Forgets the records from `position` on.
        mutating func removeRecords(from position: Int) {
            precondition(position >= 0 && position <= count, "record position out of range")
            count = position
            checkpoints.removeLast(checkpoints.count - (position + Self.stride - 1) / Self.stride)
        }
    }

    /// One open segment file and where its records are.
    final class Segment {
        let firstIndex: UInt64
        let path: String
        let file: any StorageFile
        /// Where the records with indexes from `firstIndex` on start.
        var records: RecordIndex
        /// The offset where the next record goes.
        var endOffset: Int
        /// The size the segment may grow to; records never cross it.
        var capacity: Int

        init(firstIndex: UInt64, path: String, file: any StorageFile, records: RecordIndex, endOffset: Int, capacity: Int) {
            self.firstIndex = firstIndex
            self.path = path
            self.file = file
            self.records = records
            self.endOffset = endOffset
            self.capacity = capacity
        }

        /// The index the next record in this segment would have.
        var nextIndex: UInt64 { firstIndex + UInt64(records.count) }

        /// Reads the records with indexes `first...last` (all in this
        /// segment) from the file and checks each again.
        func read(_ first: UInt64, through last: UInt64, into result: inout [LogRecord]) throws {
            let (start, skip) = records.checkpoint(before: Int(first - firstIndex))
            let end = records.checkpoint(after: Int(last - firstIndex)) ?? endOffset
            let bytes = try file.read(at: UInt64(start), count: end - start)
            try bytes.withUnsafeBytes { buffer in
                var offset = 0
                var index = first - UInt64(skip)
                while index <= last {
                    guard case let .record(entry, frameBytes) = RecordFrame.decode(buffer, at: offset, payloadBytesMax: Int(UInt32.max)),
                        entry.index == index
                    else {
                        throw StorageError.corruptRecord(file: path, offset: UInt64(start + offset), reason: "record failed its checks when read back")
                    }
                    if index >= first { result.append(entry) }
                    offset += frameBytes
                    index += 1
                }
            }
        }

        /// The byte offset where the record with `index` (in this segment)
        /// starts, found by reading forward from its checkpoint.
        func offset(of index: UInt64) throws -> Int {
            let (start, skip) = records.checkpoint(before: Int(index - firstIndex))
            guard skip > 0 else { return start }
            let end = records.checkpoint(after: Int(index - firstIndex)) ?? endOffset
            let bytes = try file.read(at: UInt64(start), count: end - start)
            return try bytes.withUnsafeBytes { buffer in
                var offset = 0
                var current = index - UInt64(skip)
                while current < index {
                    guard case let .record(entry, frameBytes) = RecordFrame.decode(buffer, at: offset, payloadBytesMax: Int(UInt32.max)),
                        entry.index == current
                    else {
                        throw StorageError.corruptRecord(file: path, offset: UInt64(start + offset), reason: "record failed its checks when read back")
                    }
                    offset += frameBytes
                    current += 1
                }
                return start + offset
            }
        }
    }
}
