import Foundation

extension Storage {
    /// Everything one node keeps on disk, in one data directory: the
    /// write-ahead log, the latest snapshot and the hard state.
    ///
    /// ``open(directory:fileSystem:configuration:)`` recovers the directory
    /// (docs/storage.md, "Recovery") and reports what it found in
    /// ``recovery``. Appends go through ``log``; ``saveHardState(_:)`` and
    /// ``saveSnapshot(_:)`` are durable when they return. Those two must not
    /// be called concurrently with each other; appends may run alongside.
    ///
    /// The methods without `async` block the calling thread until the disk
    /// answers: call them from a thread of their own (or a dedicated
    /// executor), not from Swift concurrency's shared pool.
    public final class NodeStore: @unchecked Sendable {
        // Safety: `snapshotIndex` and `hardState` are guarded by `lock`;
        // `recovery` changes only in `releaseRecoveredSnapshotData()`,
        // called before the store is shared; the incoming snapshot file and
        // `incomingChecksum` are guarded by `incomingLock` (taken after
        // `lock` when both are held); the rest is immutable after `open`.

        /// What recovery found.
        public struct Recovery: Sendable {
            /// The latest snapshot, checked.
            public var snapshot: SnapshotRecord?
            /// The hard state, if one was ever saved.
            public var hardState: VoteRecord?
            /// The first log index after the snapshot (1 without one).
            public var firstIndex: UInt64
            /// The last index in the log; `firstIndex - 1` when it is empty.
            public var lastIndex: UInt64
            /// The torn tail trimmed from the last segment, if any.
            public var tornTail: TornTail?
            /// Leftover files removed: temporaries of interrupted writes and
            /// snapshots superseded by a newer one.
            public var removedFiles: [String]
            /// Whether the log was discarded because it ended before the
            /// snapshot or disagreed with it at the snapshot's index (a
            /// crash between installing a snapshot and resetting the log).
            public var discardedLogForSnapshot: Bool
        }

        /// The data directory.
        public let directory: String
        /// The write-ahead log.
        public let log: WriteAheadLog
        /// What recovery found when the store was opened (without the
        /// snapshot's data once ``releaseRecoveredSnapshotData()`` dropped it).
        public private(set) var recovery: Recovery

        private let fileSystem: any FileSystem
        private let lockFile: any StorageFile
        private let lock = NSLock()
        private var snapshotIndex: UInt64
        private var snapshotTerm: UInt64
        private var snapshotName: String?
        /// Guards the incoming snapshot file and `incomingChecksum`.
        private let incomingLock = NSLock()
        /// The incoming snapshot file's size and its data's checksum, as
        /// last read whole; nil once a chunk was stored since.
        private var incomingChecksum: (size: UInt64, checksum: UInt32)?

        private init(
            directory: String, fileSystem: any FileSystem, lockFile: any StorageFile, log: WriteAheadLog,
            recovery: Recovery
        ) {
            self.directory = directory
            self.fileSystem = fileSystem
            self.lockFile = lockFile
            self.log = log
            self.recovery = recovery
            self.snapshotIndex = recovery.snapshot?.index ?? 0
            self.snapshotTerm = recovery.snapshot?.term ?? 0
            self.snapshotName = recovery.snapshot.map { DataFileName.snapshotName(index: $0.index, term: $0.term) }
            log.forbidTruncation(below: snapshotIndex + 1)
        }

        /// Opens (creating if needed) and recovers a data directory.
        ///
        /// - Throws: ``StorageError`` naming the file (and offset) that
        ///   stops recovery; nothing is changed on disk in that case except
        ///   the removal of temporary files.
        public static func open(
            directory: String, fileSystem: any FileSystem = PosixFileSystem(),
            configuration: LogConfiguration = LogConfiguration()
        ) throws -> NodeStore {
            try fileSystem.createDirectory(directory)
            let lockFile = try fileSystem.lock(directory + "/" + DataFileName.lockName)
            do {
                return try recover(directory: directory, fileSystem: fileSystem, configuration: configuration, lockFile: lockFile)
            } catch {
                try? lockFile.close()
                throw error
            }
        }

        private static func recover(
            directory: String, fileSystem: any FileSystem, configuration: LogConfiguration, lockFile: any StorageFile
        ) throws -> NodeStore {
            var segmentIndexes: [UInt64] = []
            var snapshots: [(index: UInt64, term: UInt64, name: String)] = []
            var temporaries: [String] = []
            var hasHardState = false
            for name in try fileSystem.contentsOfDirectory(directory).sorted() {
                switch DataFileName.classify(name) {
                case nil: throw StorageError.unexpectedFile(directory: directory, name: name)
                case let .segment(firstIndex): segmentIndexes.append(firstIndex)
                case let .snapshot(index, term): snapshots.append((index, term, name))
                case .hardState: hasHardState = true
                case .temporary: temporaries.append(name)
                case .lock, .hidden: break
                }
            }
            snapshots.sort { ($0.index, $0.term) < ($1.index, $1.term) }
            var snapshot: SnapshotRecord?
            if let newest = snapshots.last {
                snapshot = try loadSnapshot(path: directory + "/" + newest.name, index: newest.index, term: newest.term, fileSystem: fileSystem)
            }

            var hardState: VoteRecord?
            if hasHardState {
                let path = directory + "/" + DataFileName.hardStateName
                let file = try fileSystem.open(path, create: false)
                defer { try? file.close() }
                hardState = try VoteRecordFile.decode(try file.read(at: 0, count: Int(try file.size())), path: path)
            }

            // Everything is read and checked before anything is written, so
            // a recovery that fails changes nothing.
            let expectedFirst = (snapshot?.index ?? 0) + 1
            let (segmentedLog, tornTail) = try SegmentedLog.open(
                fileSystem: fileSystem, directory: directory, configuration: configuration,
                segmentFirstIndexes: segmentIndexes, emptyLogFirstIndex: expectedFirst)
            var discarded = false
            var removed: [String] = []
            do {
                if segmentedLog.firstIndex > expectedFirst {
                    throw StorageError.logGap(
                        file: segmentedLog.segments[0].path, expectedIndex: expectedFirst, foundIndex: segmentedLog.firstIndex)
                }
                if let snapshot, !segmentIndexes.isEmpty, try !log(segmentedLog, agreesWith: snapshot) {
                    discarded = true
                }
                for name in temporaries + snapshots.dropLast().map(\.name) {
                    try fileSystem.remove(directory + "/" + name)
                    removed.append(name)
                }
                if !removed.isEmpty { try fileSystem.syncDirectory(directory) }
                try segmentedLog.completeRecovery(resettingTo: discarded ? expectedFirst : nil)
            } catch {
                segmentedLog.close()
                throw error
            }
            let recovery = Recovery(
                snapshot: snapshot, hardState: hardState,
                firstIndex: max(segmentedLog.firstIndex, expectedFirst), lastIndex: segmentedLog.nextIndex - 1,
                tornTail: tornTail, removedFiles: removed, discardedLogForSnapshot: discarded)
            return NodeStore(
                directory: directory, fileSystem: fileSystem, lockFile: lockFile,
                log: WriteAheadLog(log: segmentedLog), recovery: recovery)
        }

        /// Whether the log may be kept after `snapshot`: it reaches the
        /// snapshot's index with the snapshot's term there (Raft §7: a log
        /// that disagrees with a snapshot is discarded whole).
        private static func log(_ log: SegmentedLog, agreesWith snapshot: SnapshotRecord) throws -> Bool {
            guard log.nextIndex > snapshot.index else { return false }
            guard log.firstIndex <= snapshot.index else { return true }
            return try log.entries(in: snapshot.index..<(snapshot.index + 1))[0].term == snapshot.term
        }

        private static func loadSnapshot(path: String, index: UInt64, term: UInt64, fileSystem: any FileSystem) throws -> SnapshotRecord {
            let file = try fileSystem.open(path, create: false)
            defer { try? file.close() }
            let snapshot = try SnapshotFile.decode(try file.read(at: 0, count: Int(try file.size())), path: path)
            guard snapshot.index == index, snapshot.term == term else {
                throw StorageError.corruptSnapshot(
                    file: path, offset: 16,
                    reason: "header says index \(snapshot.index) term \(snapshot.term), the name says index \(index) term \(term)")
            }
            return snapshot
        }

        // MARK: Hard state

        /// Replaces the hard state durably (temporary file, sync, rename,
        /// directory sync): after a crash the old or the new state is read,
        /// never a mixture.
        public func saveHardState(_ state: VoteRecord) throws {
            lock.lock()
            defer { lock.unlock() }
            try replaceAtomically(VoteRecordFile.encode(state), named: DataFileName.hardStateName, in: directory, fileSystem: fileSystem)
        }

        // MARK: Snapshots

        /// Makes `snapshot` durable, removes the one it supersedes, and then
        /// trims the log by Raft's rule: if the log holds the snapshot's
        /// index with the snapshot's term, whole segments before it are
        /// dropped and later entries kept; otherwise the whole log is
        /// replaced by an empty one starting after the snapshot.
        ///
        /// Each step is durable before the next starts, so a crash between
        /// them leaves a state that recovery completes.
        ///
        /// - Throws: ``StorageError/invalidArgument(_:)`` if `snapshot` is
        ///   not newer than the current one (the first snapshot may have
        ///   index 0, as a bootstrap snapshot does).
        public func saveSnapshot(_ snapshot: SnapshotRecord) throws {
            try saveSnapshot(index: snapshot.index, term: snapshot.term, dataParts: [snapshot.data])
        }

        /// ``saveSnapshot(_:)`` for a snapshot whose data is `dataParts`
        /// one after the other, written without gathering them into one
        /// buffer.
        public func saveSnapshot(index: UInt64, term: UInt64, dataParts: [[UInt8]]) throws {
            lock.lock()
            defer { lock.unlock() }
            let snapshot = (index: index, term: term)
            guard snapshot.index > snapshotIndex || (snapshotName == nil && snapshot.index == 0) else {
                throw StorageError.invalidArgument("snapshot at index \(snapshot.index) is not newer than the current one at \(snapshotIndex)")
            }
            let name = DataFileName.snapshotName(index: snapshot.index, term: snapshot.term)
            let header = SnapshotFile.header(index: index, term: term, dataParts: dataParts)
            try replaceAtomically(parts: [header] + dataParts, named: name, in: directory, fileSystem: fileSystem)
            try snapshotInPlace(name: name, index: index, term: term)
        }

        /// What follows a new latest snapshot's file being durable under
        /// `name`: the one it supersedes is removed and the log trimmed.
        /// Called with `lock` held.
        private func snapshotInPlace(name: String, index: UInt64, term: UInt64) throws {
            let snapshot = (index: index, term: term)
            if let previous = snapshotName {
                try fileSystem.remove(directory + "/" + previous)
                try fileSystem.syncDirectory(directory)
            }
            snapshotIndex = snapshot.index
            snapshotTerm = snapshot.term
            snapshotName = name
            // Decide on the whole log, appends queued before this call included.
            try log.waitForQueuedWork()
            let keepsLog: Bool
            if log.firstIndex == snapshot.index + 1 {
                // The log begins right after the snapshot (a first snapshot
                // at index 0): nothing in it can disagree.
                keepsLog = true
            } else if log.lastIndex >= snapshot.index && log.firstIndex <= snapshot.index {
                keepsLog = try log.term(at: snapshot.index) == snapshot.term
            } else {
                keepsLog = false
            }
            if keepsLog {
                try log.compactAndWait(through: snapshot.index)
            } else {
                try log.resetAndWait(nextIndex: snapshot.index + 1)
            }
        }

        /// Drops the bytes of the snapshot recovery read (its index and term
        /// stay in ``recovery``), once the caller restored its state from
        /// them: holding them would keep a whole snapshot in memory for the
        /// life of the process. Call it before sharing the store.
        public func releaseRecoveredSnapshotData() {
            recovery.snapshot?.data = []
        }

        /// Reads and checks the latest snapshot file again (what
        /// ``recovery`` held before its data was released); nil without one.
        public func readLatestSnapshot() throws -> SnapshotRecord? {
            lock.lock()
            let name = snapshotName
            let (index, term) = (snapshotIndex, snapshotTerm)
            lock.unlock()
            guard let name else { return nil }
            return try Self.loadSnapshot(path: directory + "/" + name, index: index, term: term, fileSystem: fileSystem)
        }

        /// `count` bytes of the data of the snapshot at `index` and `term`,
        /// from `offset` (0 is the first byte after the file's header),
        /// read from its file; nil when that snapshot is no longer stored.
        /// The header is checked to name that snapshot and to hold the
        /// range; the data's checksum is not (recovery checked it).
        public func readSnapshotData(index: UInt64, term: UInt64, offset: Int, count: Int) throws -> [UInt8]? {
            let path = directory + "/" + DataFileName.snapshotName(index: index, term: term)
            guard fileSystem.exists(path) else { return nil }
            let file = try fileSystem.open(path, create: false)
            defer { try? file.close() }
            let header = try file.read(at: 0, count: SnapshotFile.headerBytes)
            guard header.count == SnapshotFile.headerBytes, Array(header[0..<8]) == SnapshotFile.magic,
                header.loadLittleEndian(UInt64.self, at: 16) == index, header.loadLittleEndian(UInt64.self, at: 24) == term
            else {
                throw StorageError.corruptSnapshot(file: path, offset: 0, reason: "the header does not name snapshot \(index) of term \(term)")
            }
            let length = header.loadLittleEndian(UInt64.self, at: 32)
            guard offset >= 0, count >= 0, UInt64(offset + count) <= length else {
                throw StorageError.invalidArgument("bytes \(offset)..<\(offset + count) are outside the \(length) data bytes of \(path)")
            }
            return try file.read(at: UInt64(SnapshotFile.headerBytes + offset), count: count)
        }

        // MARK: Incoming snapshot

        /// Stores, durably, a chunk of a snapshot being received, at
        /// `offset` of the data of the incoming snapshot file: offset 0
        /// starts the file over; any other offset must be where the data
        /// received so far ends. `parts` are written one after the other.
        ///
        /// The file is laid out as a snapshot file whose header is left
        /// zero until ``installIncomingSnapshot(index:term:)`` completes it
        /// and renames the file into place, so a received snapshot is never
        /// written twice. Until then it is a temporary file (recovery
        /// removes it).
        public func writeIncomingSnapshot(offset: Int, parts: [[UInt8]]) throws {
            incomingLock.lock()
            defer { incomingLock.unlock() }
            incomingChecksum = nil
            let file = try fileSystem.open(directory + "/" + DataFileName.incomingSnapshotName, create: true)
            defer { try? file.close() }
            let headerBytes = SnapshotFile.headerBytes
            var position = UInt64(headerBytes + offset)
            if offset == 0 {
                try file.truncate(to: 0)
                try file.write([UInt8](repeating: 0, count: headerBytes), at: 0)
            } else {
                let size = try file.size()
                guard size == position else {
                    throw StorageError.invalidArgument(
                        "an incoming snapshot chunk at \(offset) does not follow the \(max(size, UInt64(headerBytes)) - UInt64(headerBytes)) bytes received")
                }
            }
            for part in parts {
                try file.write(part, at: position)
                position += UInt64(part.count)
            }
            try file.sync()
        }

        /// ``writeIncomingSnapshot(offset:parts:)`` for one chunk.
        public func writeIncomingSnapshot(offset: Int, _ bytes: [UInt8]) throws {
            try writeIncomingSnapshot(offset: offset, parts: [bytes])
        }

        /// The data the incoming snapshot file holds from `offset` on.
        /// Reading it also checksums all of its data, so that
        /// ``installIncomingSnapshot(index:term:)`` need not read it again.
        public func readIncomingSnapshot(from offset: Int = 0) throws -> [UInt8] {
            incomingLock.lock()
            defer { incomingLock.unlock() }
            let file = try fileSystem.open(directory + "/" + DataFileName.incomingSnapshotName, create: false)
            defer { try? file.close() }
            let size = try file.size()
            let headerBytes = UInt64(SnapshotFile.headerBytes)
            guard size >= headerBytes + UInt64(max(offset, 0)) else {
                throw StorageError.invalidArgument("the incoming snapshot holds \(size) bytes, fewer than its header and \(offset)")
            }
            let skipped = try file.read(at: headerBytes, count: offset)
            let bytes = try file.read(at: headerBytes + UInt64(offset), count: Int(size - headerBytes) - offset)
            incomingChecksum = (size, CRC32C.checksum(bytes, continuing: CRC32C.checksum(skipped)))
            return bytes
        }

        /// Makes the incoming snapshot file the latest snapshot, at `index`
        /// and `term`, with the effects of ``saveSnapshot(_:)``: its header
        /// is written and synced, and the file renamed into place, instead
        /// of its data being written again. Returns false, changing
        /// nothing, when the file is not the one last read whole by
        /// ``readIncomingSnapshot(from:)`` (a chunk was stored since, or it
        /// was never read); the caller then saves the snapshot from memory.
        public func installIncomingSnapshot(index: UInt64, term: UInt64) throws -> Bool {
            lock.lock()
            defer { lock.unlock() }
            incomingLock.lock()
            defer { incomingLock.unlock() }
            guard index > snapshotIndex || (snapshotName == nil && index == 0) else {
                throw StorageError.invalidArgument("snapshot at index \(index) is not newer than the current one at \(snapshotIndex)")
            }
            let incomingPath = directory + "/" + DataFileName.incomingSnapshotName
            guard let (size, checksum) = incomingChecksum, fileSystem.exists(incomingPath) else { return false }
            let file = try fileSystem.open(incomingPath, create: false)
            do {
                defer { try? file.close() }
                guard try file.size() == size else { return false }
                let header = SnapshotFile.header(
                    index: index, term: term, dataBytes: size - UInt64(SnapshotFile.headerBytes), dataChecksum: checksum)
                try file.write(header, at: 0)
                try file.sync()
            }
            incomingChecksum = nil
            let name = DataFileName.snapshotName(index: index, term: term)
            try fileSystem.rename(incomingPath, to: directory + "/" + name)
            try fileSystem.syncDirectory(directory)
            try snapshotInPlace(name: name, index: index, term: term)
            return true
        }

        /// Removes the incoming snapshot file, if there is one.
        public func removeIncomingSnapshot() throws {
            incomingLock.lock()
            defer { incomingLock.unlock() }
            incomingChecksum = nil
            let path = directory + "/" + DataFileName.incomingSnapshotName
            if fileSystem.exists(path) { try fileSystem.remove(path) }
        }

        /// The index of the latest snapshot (0 without one).
        public var currentSnapshotIndex: UInt64 {
            lock.lock()
            defer { lock.unlock() }
            return snapshotIndex
        }

        /// Closes the log and releases the directory's lock.
        public func close() {
            log.close()
            try? lockFile.close()
        }
    }
}
