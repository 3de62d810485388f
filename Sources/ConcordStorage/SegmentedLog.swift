extension Storage {
    /// The log's segment files, without any concurrency: appends write
    /// records, ``sync()`` makes them durable. ``WriteAheadLog`` owns one and
    /// serializes every call through its writer thread.
    ///
    /// Invariants:
    /// - segments are sorted, non-empty, and each one's first index is the
    ///   previous one's next index;
    /// - only the last segment (the active one) receives appends, and every
    ///   segment before it was synced before the next one was created, so
    ///   only the last segment can end in a torn write;
    /// - bytes past a segment's last record are zeros.
    final class SegmentedLog {
        let fileSystem: any FileSystem
        let directory: String
        let configuration: LogConfiguration
        private(set) var segments: [Segment]
        /// How many file syncs the log has made (the sync of each append
        /// batch, of each filled segment, of each new segment).
        private(set) var syncCount = 0

        private init(fileSystem: any FileSystem, directory: String, configuration: LogConfiguration, segments: [Segment]) {
            self.fileSystem = fileSystem
            self.directory = directory
            self.configuration = configuration
            self.segments = segments
        }

        /// The index of the first record held (compaction raises it).
        var firstIndex: UInt64 { segments.first?.firstIndex ?? emptyLogFirstIndex }
        /// The index the next appended record must have.
        var nextIndex: UInt64 { segments.last?.nextIndex ?? emptyLogFirstIndex }
        var active: Segment { segments[segments.count - 1] }

        // MARK: Recovery

        /// A write recovery must make before the log is used.
        enum Repair {
            /// Cut the last segment at this offset (a torn record).
            case trim(offset: Int)
            /// Rewrite the last segment's header (it was cut inside it).
            case rewriteHeader
        }

        /// Where an empty directory's log starts.
        private var emptyLogFirstIndex: UInt64 = 1
        private var pendingRepair: Repair?

        /// Opens the segments with these first indexes (from the directory's
        /// file names) and reads them, as docs/storage.md describes, without
        /// writing anything: a torn tail is only noted. The caller must then
        /// call ``completeRecovery(resettingTo:)``, which makes the repairs,
        /// so that recovery that fails later changes nothing on disk.
        static func open(
            fileSystem: any FileSystem, directory: String, configuration: LogConfiguration,
            segmentFirstIndexes: [UInt64], emptyLogFirstIndex: UInt64
        ) throws -> (SegmentedLog, TornTail?) {
            let log = SegmentedLog(fileSystem: fileSystem, directory: directory, configuration: configuration, segments: [])
            log.emptyLogFirstIndex = emptyLogFirstIndex
            var tornTail: TornTail?
            do {
                let sorted = segmentFirstIndexes.sorted()
                for (position, firstIndex) in sorted.enumerated() {
                    let (segment, torn) = try log.recoverSegment(firstIndex: firstIndex, isLast: position == sorted.count - 1)
                    if let previous = log.segments.last, previous.nextIndex != firstIndex {
                        try? segment.file.close()
                        throw StorageError.logGap(file: segment.path, expectedIndex: previous.nextIndex, foundIndex: firstIndex)
                    }
                    log.segments.append(segment)
                    tornTail = torn
                }
            } catch {
                log.close()
                throw error
            }
            return (log, tornTail)
        }

        /// Makes the writes recovery decided on: trims the torn tail (or,
        /// with `resettingTo`, replaces the whole log by an empty one
        /// starting there), creates the first segment of an empty log, and
        /// preallocates the active segment.
        func completeRecovery(resettingTo newNextIndex: UInt64?) throws {
            if let newNextIndex {
                try reset(nextIndex: newNextIndex)
            } else if let repair = pendingRepair {
                switch repair {
                case let .trim(offset):
                    try trim(active, at: offset)
                case .rewriteHeader:
                    try active.file.truncate(to: 0)
                    try active.file.preallocate(to: UInt64(active.capacity), zeroFill: configuration.preallocation == .zeroFill)
                    try active.file.write(SegmentHeader.encode(firstIndex: active.firstIndex), at: 0)
                    try active.file.sync()
                    syncCount += 1
                }
            }
            pendingRepair = nil
            if segments.isEmpty {
                segments.append(try createSegment(firstIndex: emptyLogFirstIndex))
            }
            try prepareActive()
        }

        private func recoverSegment(firstIndex: UInt64, isLast: Bool) throws -> (Segment, TornTail?) {
            let path = directory + "/" + DataFileName.segmentName(firstIndex: firstIndex)
            let file = try fileSystem.open(path, create: false)
            do {
                let bytes = try file.read(at: 0, count: Int(try file.size()))
                return try bytes.withUnsafeBytes { buffer in
                    try recoverSegment(buffer, file: file, path: path, firstIndex: firstIndex, isLast: isLast)
                }
            } catch {
                try? file.close()
                throw error
            }
        }

        private func recoverSegment(
            _ bytes: UnsafeRawBufferPointer, file: any StorageFile, path: String, firstIndex: UInt64, isLast: Bool
        ) throws -> (Segment, TornTail?) {
            let capacity = max(bytes.count, configuration.segmentBytes)
            switch SegmentHeader.decode(bytes) {
            case let .success(headerIndex):
                guard headerIndex == firstIndex else {
                    throw StorageError.corruptSegmentHeader(file: path, reason: "header says first index \(headerIndex), the name says \(firstIndex)")
                }
            case let .failure(problem):
                // A last segment cut short inside its header holds no
                // records: it is a torn tail of zero records.
                let expected = SegmentHeader.encode(firstIndex: firstIndex)
                guard isLast, bytes.count < SegmentHeader.bytes, Array(bytes) == Array(expected[0..<bytes.count]) else {
                    throw StorageError.corruptSegmentHeader(file: path, reason: problem.reason)
                }
                pendingRepair = .rewriteHeader
                let segment = Segment(firstIndex: firstIndex, path: path, file: file, records: RecordIndex(), endOffset: SegmentHeader.bytes, capacity: capacity)
                return (segment, TornTail(file: path, offset: 0, discardedBytes: 0, reason: problem.reason))
            }
            let outcome = try SegmentScan.scan(bytes, firstIndex: firstIndex, path: path)
            let segment = Segment(
                firstIndex: firstIndex, path: path, file: file, records: outcome.records,
                endOffset: outcome.endOffset, capacity: capacity)
            guard let failure = outcome.failure else { return (segment, nil) }
            guard isLast else {
                throw StorageError.corruptRecord(file: path, offset: UInt64(failure.offset), reason: failure.reason + " (not in the last segment)")
            }
            if let later = SegmentScan.validFrame(bytes, after: failure.offset) {
                throw StorageError.corruptRecord(
                    file: path, offset: UInt64(failure.offset),
                    reason: failure.reason + "; a valid record follows at offset \(later), so this is not a torn tail")
            }
            let discarded = SegmentScan.endOfNonZero(bytes) - failure.offset
            pendingRepair = .trim(offset: failure.offset)
            return (segment, TornTail(file: path, offset: UInt64(failure.offset), discardedBytes: max(discarded, 0), reason: failure.reason))
        }

        /// Cuts a segment at `offset` and refills it with zeros to its
        /// capacity, durably.
        private func trim(_ segment: Segment, at offset: Int) throws {
            try segment.file.truncate(to: UInt64(offset))
            try segment.file.preallocate(to: UInt64(segment.capacity), zeroFill: configuration.preallocation == .zeroFill)
            try segment.file.sync()
            syncCount += 1
            segment.endOffset = offset
        }

        /// Makes sure the active segment spans its full capacity.
        private func prepareActive() throws {
            let segment = active
            segment.capacity = max(segment.capacity, configuration.segmentBytes)
            if try segment.file.size() < UInt64(segment.capacity) {
                try segment.file.preallocate(to: UInt64(segment.capacity), zeroFill: configuration.preallocation == .zeroFill)
            }
        }

        // MARK: Writing

        /// Creates a segment durably: a preallocated `.tmp` file with its
        /// header is synced, renamed into place, and the directory synced.
        private func createSegment(firstIndex: UInt64) throws -> Segment {
            let path = directory + "/" + DataFileName.segmentName(firstIndex: firstIndex)
            let temporary = path + DataFileName.temporarySuffix
            var created: (any StorageFile)?
            do {
                let file = try fileSystem.open(temporary, create: true)
                created = file
                try file.truncate(to: 0)
                try file.preallocate(to: UInt64(configuration.segmentBytes), zeroFill: configuration.preallocation == .zeroFill)
                try file.write(SegmentHeader.encode(firstIndex: firstIndex), at: 0)
                try file.sync()
                syncCount += 1
                try fileSystem.rename(temporary, to: path)
                try fileSystem.syncDirectory(directory)
                // Reopen under the final name so that errors name it.
                try file.close()
                created = nil
                let final = try fileSystem.open(path, create: false)
                return Segment(
                    firstIndex: firstIndex, path: path, file: final, records: RecordIndex(),
                    endOffset: SegmentHeader.bytes, capacity: configuration.segmentBytes)
            } catch {
                try? created?.close()
                if fileSystem.exists(temporary) { try? fileSystem.remove(temporary) }
                throw error
            }
        }

        /// Writes `entries` after the last record, starting new segments as
        /// they fill. Nothing is durable until ``sync()``.
        ///
        /// - Precondition: the entries' indexes run on from ``nextIndex``
        ///   and each payload is within the configured limit (the caller
        ///   checked both).
        func append(_ entries: [LogRecord]) throws {
            var buffer: [UInt8] = []
            var offsets: [Int] = []
            var expected = nextIndex
            for entry in entries {
                precondition(entry.index == expected, "appends must be contiguous")
                precondition(entry.payload.count <= configuration.recordPayloadBytesMax, "payload over the limit")
                expected += 1
                let frameBytes = RecordFrame.frameBytes(payloadBytes: entry.payload.count)
                if active.endOffset + buffer.count + frameBytes > active.capacity {
                    try flush(&buffer, offsets: &offsets)
                    try active.file.sync()
                    syncCount += 1
                    segments.append(try createSegment(firstIndex: entry.index))
                }
                offsets.append(active.endOffset + buffer.count)
                RecordFrame.encode(entry, into: &buffer)
            }
            try flush(&buffer, offsets: &offsets)
        }

        private func flush(_ buffer: inout [UInt8], offsets: inout [Int]) throws {
            guard !buffer.isEmpty else { return }
            try active.file.write(buffer, at: UInt64(active.endOffset))
            for offset in offsets { active.records.append(offset: offset) }
            active.endOffset += buffer.count
            buffer.removeAll(keepingCapacity: true)
            offsets.removeAll(keepingCapacity: true)
        }

        /// Makes every appended record durable.
        func sync() throws {
            try active.file.sync()
            syncCount += 1
        }

        /// Removes the records from `index` on, durably. Later segments go
        /// first (newest first, then a directory sync), then the segment
        /// holding `index` is cut, so a crash part-way leaves a prefix of the
        /// old log that still holds everything before `index`.
        func truncate(from index: UInt64) throws {
            guard index >= firstIndex, index <= nextIndex else {
                throw StorageError.indexOutOfRange(index: index, firstIndex: firstIndex, lastIndex: nextIndex - 1)
            }
            guard index < nextIndex else { return }
            var removed = false
            while segments.count > 1, active.firstIndex >= index {
                let segment = segments.removeLast()
                try? segment.file.close()
                try fileSystem.remove(segment.path)
                removed = true
            }
            if removed { try fileSystem.syncDirectory(directory) }
            let segment = active
            if index < segment.nextIndex {
                let cut = try segment.offset(of: index)
                segment.records.removeRecords(from: Int(index - segment.firstIndex))
                segment.capacity = max(segment.capacity, configuration.segmentBytes)
                try trim(segment, at: cut)
            }
            try prepareActive()
        }

        /// Removes, oldest first, every segment whose records all have
        /// indexes at or below `index`; never the active segment.
        ///
        /// - Returns: how many segments were removed.
        @discardableResult
        func compact(through index: UInt64) throws -> Int {
            var removed = 0
            while segments.count > 1, segments[1].firstIndex <= index + 1 {
                let segment = segments.removeFirst()
                try? segment.file.close()
                try fileSystem.remove(segment.path)
                removed += 1
            }
            if removed > 0 { try fileSystem.syncDirectory(directory) }
            return removed
        }

        /// Removes every record and starts an empty log at `nextIndex`
        /// (after a snapshot that replaces the whole log). Segments go newest
        /// first, so a crash part-way leaves a prefix of the old log.
        func reset(nextIndex newNext: UInt64) throws {
            emptyLogFirstIndex = newNext
            while let segment = segments.popLast() {
                try? segment.file.close()
                try fileSystem.remove(segment.path)
            }
            try fileSystem.syncDirectory(directory)
            segments.append(try createSegment(firstIndex: newNext))
        }

        // MARK: Reading

        /// The entries with indexes in `range`, read from the files and
        /// checked again.
        func entries(in range: Range<UInt64>) throws -> [LogRecord] {
            guard range.lowerBound >= firstIndex, range.upperBound <= nextIndex else {
                throw StorageError.indexOutOfRange(
                    index: range.lowerBound < firstIndex ? range.lowerBound : range.upperBound,
                    firstIndex: firstIndex, lastIndex: nextIndex - 1)
            }
            var result: [LogRecord] = []
            result.reserveCapacity(Int(range.count))
            var index = range.lowerBound
            while index < range.upperBound {
                let segment = self.segment(holding: index)
                let last = min(range.upperBound, segment.nextIndex) - 1
                try segment.read(index, through: last, into: &result)
                index = last + 1
            }
            return result
        }

        private func segment(holding index: UInt64) -> Segment {
            var low = 0
            var high = segments.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if segments[middle].firstIndex <= index { low = middle } else { high = middle - 1 }
            }
            return segments[low]
        }

        func close() {
            for segment in segments { try? segment.file.close() }
        }
    }
}
