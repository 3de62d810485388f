extension Storage {
    /// One open segment file and where its records are.
    final class Segment {
        let firstIndex: UInt64
        let path: String
        let file: any StorageFile
        /// `recordOffsets[k]` is the byte offset of the record with index
        /// `firstIndex + k`.
        var recordOffsets: [Int]
        /// The offset where the next record goes.
        var endOffset: Int
        /// The size the segment may grow to; records never cross it.
        var capacity: Int

        init(firstIndex: UInt64, path: String, file: any StorageFile, recordOffsets: [Int], endOffset: Int, capacity: Int) {
            self.firstIndex = firstIndex
            self.path = path
            self.file = file
            self.recordOffsets = recordOffsets
            self.endOffset = endOffset
            self.capacity = capacity
        }

        /// The index the next record in this segment would have.
        var nextIndex: UInt64 { firstIndex + UInt64(recordOffsets.count) }

        /// The byte offset where the record with `index` ends.
        func endOffset(of index: UInt64) -> Int {
            let position = Int(index - firstIndex)
            return position + 1 < recordOffsets.count ? recordOffsets[position + 1] : endOffset
        }
    }
}
