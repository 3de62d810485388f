import ConcordRaft
import Foundation

extension Storage {
    /// `ConcordRaft`'s `RaftStorage` on real files: a Raft replica persists
    /// each `PersistRequest` here and restarts from ``load()``.
    ///
    /// The store is also the node's `SnapshotFiles`: it keeps only the
    /// latest snapshot's metadata in memory, reads the chunks a leader
    /// sends from the snapshot file, and gathers a received snapshot in the
    /// incoming snapshot file. The snapshot's bytes recovery read are
    /// handed out once, by the first ``load()``, and not kept.
    ///
    /// Every call is durable when it returns (appends go through the
    /// write-ahead log's group commit, snapshots and hard state are replaced
    /// atomically), so ``sync()`` has nothing left to do. The hard state is
    /// written only after the log appends before it are durable, so a
    /// stored commit index never runs ahead of the stored log.
    public final class RaftLogStore: RaftStorage, SnapshotFiles, @unchecked Sendable {
        // Safety: every method holds `lock` or `incomingLock` (the incoming
        // snapshot's); `store` is itself thread-safe.

        /// The underlying store.
        public let store: NodeStore
        private let lock = NSLock()
        /// The latest snapshot's metadata.
        private var snapshotMetadata: SnapshotMetadata
        /// The bytes of the snapshot file's data before the application's
        /// (the configuration, `RaftCoding.configurationPrefix`).
        private var snapshotPrefixBytes: Int
        /// The snapshot recovery read, until the first `load()` hands it out.
        private var recoveredSnapshot: RaftSnapshot?
        private var hardState: ConcordRaft.HardState
        /// Guards `incoming` (taken after `lock` when both are held).
        private let incomingLock = NSLock()
        /// The snapshot being received, once its first chunk is stored.
        private var incoming: IncomingFile?

        private init(store: NodeStore, snapshot: RaftSnapshot, hardState: ConcordRaft.HardState) {
            self.store = store
            self.snapshotMetadata = snapshot.metadata
            self.snapshotPrefixBytes = RaftCoding.configurationPrefix(snapshot.metadata.configuration).count
            self.recoveredSnapshot = snapshot
            self.hardState = hardState
        }

        /// Opens (recovering) a replica's data directory. A directory that
        /// holds no snapshot is new: `bootstrap` (for example
        /// `RaftDurableState.bootstrap(configuration)`) is stored in it first.
        /// An existing directory ignores `bootstrap`.
        public static func open(
            directory: String, bootstrap: RaftDurableState,
            fileSystem: any FileSystem = PosixFileSystem(),
            configuration: LogConfiguration = LogConfiguration()
        ) throws(RaftStorageError) -> RaftLogStore {
            let store = try mapping { try NodeStore.open(directory: directory, fileSystem: fileSystem, configuration: configuration) }
            do throws(RaftStorageError) {
                let recovery = store.recovery
                let hardState = recovery.hardState.map(RaftCoding.decode) ?? ConcordRaft.HardState()
                guard let stored = recovery.snapshot else {
                    let fresh = RaftLogStore(store: store, snapshot: bootstrap.snapshot, hardState: hardState)
                    try mapping { try store.saveSnapshot(RaftCoding.encode(bootstrap.snapshot)) }
                    try fresh.append(bootstrap.entries)
                    try fresh.saveHardState(bootstrap.hardState)
                    return fresh
                }
                let opened = RaftLogStore(store: store, snapshot: try RaftCoding.decode(stored), hardState: hardState)
                store.releaseRecoveredSnapshotData()
                return opened
            } catch {
                store.close()
                throw error
            }
        }

        /// Everything durable, to restart a `RaftNode` from. The first call
        /// hands out the snapshot recovery read; later calls read it from
        /// its file again.
        public func load() throws(RaftStorageError) -> RaftDurableState {
            lock.lock()
            defer { lock.unlock() }
            let snapshot: RaftSnapshot
            if let recovered = recoveredSnapshot {
                snapshot = recovered
                recoveredSnapshot = nil
            } else {
                guard let record = try mapping({ try store.readLatestSnapshot() }) else {
                    throw .corrupted("the snapshot file of \(store.directory) is missing")
                }
                snapshot = try RaftCoding.decode(record)
            }
            let first = snapshot.metadata.index + 1
            let last = store.log.lastIndex
            var entries: [ConcordRaft.LogEntry] = []
            if last >= first {
                let records = try mapping { try store.log.entries(in: first..<(last + 1)) }
                entries.reserveCapacity(records.count)
                for record in records { entries.append(try RaftCoding.decode(record)) }
            }
            return RaftDurableState(hardState: hardState, snapshot: snapshot, entries: entries)
        }

        /// Stores a snapshot durably with the semantics of
        /// `PersistRequest.snapshot`; one not newer than the stored one is
        /// ignored.
        ///
        /// A snapshot this replica received and read back whole
        /// (``readIncomingSnapshot(_:)``) is not written again: the
        /// incoming file already holds its bytes after the configuration,
        /// and is renamed into place. Any other snapshot is written from
        /// `snapshot.data`, and an incoming file read back whole is then
        /// removed (its snapshot is superseded or already in the log).
        public func saveSnapshot(_ snapshot: RaftSnapshot) throws(RaftStorageError) {
            lock.lock()
            defer { lock.unlock() }
            // Held throughout: a chunk stored meanwhile would start the
            // incoming file over under the rename or removal below.
            incomingLock.lock()
            defer { incomingLock.unlock() }
            let received = incoming
            if received?.readBack == true { incoming = nil }
            guard snapshot.metadata.index > snapshotMetadata.index else {
                if received?.readBack == true { try? store.removeIncomingSnapshot() }
                return
            }
            let prefixBytes: Int
            if let received, received.readBack, received.metadata == snapshot.metadata, received.dataBytes == snapshot.data.count,
                try mapping({ try store.installIncomingSnapshot(index: snapshot.metadata.index, term: snapshot.metadata.term) })
            {
                prefixBytes = received.prefixBytes
            } else {
                let prefix = RaftCoding.configurationPrefix(snapshot.metadata.configuration)
                try mapping {
                    try store.saveSnapshot(index: snapshot.metadata.index, term: snapshot.metadata.term, dataParts: [prefix, snapshot.data])
                }
                prefixBytes = prefix.count
                if received?.readBack == true { try? store.removeIncomingSnapshot() }
            }
            snapshotMetadata = snapshot.metadata
            snapshotPrefixBytes = prefixBytes
            recoveredSnapshot = nil
        }

        // MARK: SnapshotFiles

        /// Reads a chunk of the latest snapshot's application data from its
        /// file; nil if `metadata` is not the latest snapshot or the file
        /// cannot be read.
        public func readSnapshot(_ metadata: SnapshotMetadata, offset: Int, count: Int) -> [UInt8]? {
            lock.lock()
            let (latest, prefixBytes) = (snapshotMetadata, snapshotPrefixBytes)
            lock.unlock()
            guard metadata == latest else { return nil }
            return try? store.readSnapshotData(index: metadata.index, term: metadata.term, offset: prefixBytes + offset, count: count)
        }

        /// Stores a received chunk in the incoming snapshot file (synced).
        /// The file starts as the snapshot file will: the first chunk is
        /// written after the configuration prefix, so that the file can be
        /// renamed into place once the snapshot is complete.
        public func writeIncomingSnapshot(_ metadata: SnapshotMetadata, offset: Int, _ bytes: [UInt8]) -> Bool {
            incomingLock.lock()
            defer { incomingLock.unlock() }
            if offset == 0 {
                incoming = nil
                let prefix = RaftCoding.configurationPrefix(metadata.configuration)
                guard (try? store.writeIncomingSnapshot(offset: 0, parts: [prefix, bytes])) != nil else { return false }
                incoming = IncomingFile(metadata: metadata, prefixBytes: prefix.count, dataBytes: bytes.count, readBack: false)
                return true
            }
            guard let current = incoming, current.metadata == metadata, !current.readBack, current.dataBytes == offset,
                (try? store.writeIncomingSnapshot(offset: current.prefixBytes + offset, parts: [bytes])) != nil
            else { return false }
            incoming!.dataBytes += bytes.count
            return true
        }

        /// Reads the application data of the incoming snapshot file whole,
        /// to be installed. The file stays until ``saveSnapshot(_:)``
        /// renames it into place (or removes it, or a new transfer starts
        /// it over).
        public func readIncomingSnapshot(_ metadata: SnapshotMetadata) -> [UInt8]? {
            incomingLock.lock()
            defer { incomingLock.unlock() }
            guard let current = incoming, current.metadata == metadata,
                let bytes = try? store.readIncomingSnapshot(from: current.prefixBytes), bytes.count == current.dataBytes
            else { return nil }
            incoming!.readBack = true
            return bytes
        }

        /// The snapshot being received into the incoming file.
        private struct IncomingFile {
            var metadata: SnapshotMetadata
            /// The bytes of the configuration prefix before the data.
            var prefixBytes: Int
            /// The application data stored so far.
            var dataBytes: Int
            /// Whether the data was read back whole to be installed.
            var readBack: Bool
        }

        /// Stores entries durably with the semantics of
        /// `PersistRequest.entries`: they replace every stored entry from
        /// the first of them on; entries at or below the snapshot's index
        /// are skipped.
        public func append(_ entries: [ConcordRaft.LogEntry]) throws(RaftStorageError) {
            lock.lock()
            defer { lock.unlock() }
            let fresh = entries.drop { $0.index <= snapshotMetadata.index }
            guard let first = fresh.first else { return }
            let last = store.log.lastIndex
            guard first.index <= last + 1 else {
                throw .entriesNotContiguous(lastStored: max(last, snapshotMetadata.index), firstAppended: first.index)
            }
            if first.index <= last {
                try mapping { try store.log.truncateAndWait(from: first.index) }
            }
            try mapping { try store.log.appendAndWait(fresh.map(RaftCoding.encode)) }
        }

        /// Stores the hard state durably.
        public func saveHardState(_ hardState: ConcordRaft.HardState) throws(RaftStorageError) {
            lock.lock()
            defer { lock.unlock() }
            guard hardState != self.hardState else { return }
            try mapping { try store.saveHardState(RaftCoding.encode(hardState)) }
            self.hardState = hardState
        }

        /// Nothing to do: every other call is durable when it returns.
        public func sync() throws(RaftStorageError) {}

        /// Makes several persist requests durable together, in order, with
        /// one group commit of the log for all their entries instead of one
        /// per request: what a driver calls with every request that queued
        /// up while the previous batch was being synced.
        ///
        /// The result on disk is what persisting the requests one by one
        /// gives, except for the commit index: the latest hard state is
        /// written (after the log it covers is durable) when its term or
        /// vote changed, or when its commit index moved back or is more than
        /// `commitLagMax` entries past the stored one. Raft needs the term
        /// and vote durable before answering; a stored commit index that
        /// lags only means a restarted replica re-applies fewer entries
        /// before the leader tells it the rest (`RaftLog` never lets the
        /// commit index fall below the snapshot).
        public func persist(batch: [PersistRequest], commitLagMax: UInt64) throws(RaftStorageError) {
            var pending = PendingEntries()
            for request in batch {
                if let snapshot = request.snapshot {
                    // A snapshot decides on the whole log before it, so the
                    // entries gathered so far are written first.
                    try append(pending.take())
                    try saveSnapshot(snapshot)
                }
                if let first = request.entries.first, let last = pending.lastIndex, first.index > last + 1 {
                    // A hole: what is gathered goes first, so `append`
                    // refuses the hole exactly as for one request.
                    try append(pending.take())
                }
                pending.add(request.entries)
            }
            try append(pending.take())
            guard let latest = batch.last(where: { $0.hardState != nil })?.hardState else { return }
            lock.lock()
            let stored = hardState
            lock.unlock()
            // Only a commit index that moved forward by at most the lag may
            // wait; any other change is written as one request would write it.
            let commitMayWait = latest.commit >= stored.commit && latest.commit - stored.commit <= commitLagMax
            if latest.term != stored.term || latest.vote != stored.vote || !commitMayWait {
                try saveHardState(latest)
            }
        }

        /// Entries of consecutive persist requests merged by Raft's rule:
        /// each request's entries replace every entry at or after its first.
        private struct PendingEntries {
            private var entries: [ConcordRaft.LogEntry] = []

            var lastIndex: UInt64? { entries.last?.index }

            /// Adds entries that start at or before one past the last gathered.
            mutating func add(_ more: [ConcordRaft.LogEntry]) {
                guard let first = more.first else { return }
                if let replaced = entries.firstIndex(where: { $0.index >= first.index }) {
                    entries.removeSubrange(replaced...)
                }
                entries.append(contentsOf: more)
            }

            mutating func take() -> [ConcordRaft.LogEntry] {
                defer { entries = [] }
                return entries
            }
        }

        /// Closes the files and releases the directory.
        public func close() {
            store.close()
        }

        private static func mapping<Result>(_ body: () throws -> Result) throws(RaftStorageError) -> Result {
            do {
                return try body()
            } catch let error as StorageError {
                switch error {
                case .corruptRecord, .corruptSegmentHeader, .corruptSnapshot, .corruptHardState, .logGap, .unexpectedFile:
                    throw .corrupted(error.description)
                default:
                    throw .ioFailure(error.description)
                }
            } catch {
                throw .ioFailure(String(describing: error))
            }
        }

        private func mapping<Result>(_ body: () throws -> Result) throws(RaftStorageError) -> Result {
            try Self.mapping(body)
        }
    }
}
