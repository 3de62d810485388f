import ConcordDynamo
import ConcordFoundation
import ConcordStorage
import Foundation

/// The available store's durable state on disk: ConcordStorage's
/// write-ahead log and snapshots (docs/storage.md) in the `.dynamo`
/// subdirectory of the member's data directory (hidden, because the Raft
/// store beside it refuses names it does not know).
///
/// - Every ``StorageRecord`` but the actor epoch (kept, synced, in
///   `StoreEpochFile`) is one log record, in the order the node returned
///   them; its payload is ``StoreRecordCoding``'s encoding.
/// - Every ``snapshotEveryRecords`` records, the node's ``StoredState`` is
///   saved as a snapshot at the last appended index, on a queue of its own,
///   and the whole segments it covers are removed.
/// - ``open(dataDirectory:appendFsync:)`` recovers the directory (a torn
///   tail is trimmed, as for Raft; damage elsewhere stops the member,
///   naming the file and offset) and replays the records after the
///   snapshot over it with `StoredState.apply`.
///
/// Not thread-safe: one actor (``AvailableStore``) appends and snapshots;
/// completions run on the log's writer thread.
final class StoreLog: @unchecked Sendable {
    /// The subdirectory of the data directory.
    static let directoryName = ".dynamo"
    /// Records appended between two snapshots.
    static let snapshotEveryRecords: UInt64 = 50_000
    /// The largest record: one copy of one key, or one key's pending writes.
    static let recordPayloadBytesMax = 48 << 20
    /// Log records read at once during replay.
    static let replayBatchRecords: UInt64 = 4_096
    /// Every record and snapshot carries this term (the log has no terms;
    /// a constant one keeps snapshots and the log in agreement).
    static let term: UInt64 = 1

    /// What opening found.
    struct Opened {
        /// The log, ready for appends.
        var log: StoreLog
        /// The replayed state (its actor epoch is 0: the epoch file holds it).
        var state: StoredState
        /// Records replayed after the snapshot.
        var replayedRecords: UInt64
        /// The torn tail trimmed, if any.
        var tornTail: Storage.TornTail?
    }

    let store: Storage.NodeStore
    let appendFsync: AppendFsync
    /// The index the next record gets.
    private(set) var nextIndex: UInt64
    private var recordsSinceSnapshot: UInt64 = 0
    private let snapshotQueue = DispatchQueue(label: "concord-dynamo-snapshots")
    private let snapshotting = SnapshotFlag()

    private init(store: Storage.NodeStore, appendFsync: AppendFsync) {
        self.store = store
        self.appendFsync = appendFsync
        nextIndex = store.log.lastIndex + 1
    }

    /// Opens (creating if needed) and replays the store's directory.
    /// - Throws: `StorageError` when recovery stops, `BinaryDecodingError`
    ///   when a checked record does not decode.
    static func open(dataDirectory: String, appendFsync: AppendFsync) throws -> Opened {
        var configuration = Storage.LogConfiguration(recordPayloadBytesMax: recordPayloadBytesMax)
        configuration.syncsEachBatch = appendFsync == .always
        let store = try Storage.NodeStore.open(
            directory: dataDirectory + "/" + directoryName, configuration: configuration)
        do {
            var state = try store.recovery.snapshot.map { try StoreRecordCoding.decodeState($0.data) } ?? StoredState()
            // Decoded: the snapshot's bytes need not stay in memory.
            store.releaseRecoveredSnapshotData()
            // Compaction drops whole segments only: records the snapshot
            // already covers may remain, and are skipped.
            let first = max(store.log.firstIndex, (store.recovery.snapshot?.index ?? 0) + 1)
            var index = first
            let end = store.log.lastIndex + 1
            while index < end {
                let upper = min(end, index + replayBatchRecords)
                for record in try store.log.entries(in: index..<upper) {
                    state.apply(try StoreRecordCoding.decode(record.payload))
                }
                index = upper
            }
            let log = StoreLog(store: store, appendFsync: appendFsync)
            return Opened(log: log, state: state, replayedRecords: end - min(first, end), tornTail: store.recovery.tornTail)
        } catch {
            store.close()
            throw error
        }
    }

    /// Appends `records` (the actor epoch excepted); `completion` runs on
    /// the writer thread once they are written (and, with `always`,
    /// synced). Returns false, without calling `completion`, when there was
    /// nothing to append.
    func append(_ records: [StorageRecord], completion: @escaping @Sendable (Result<Void, Storage.StorageError>) -> Void) -> Bool {
        var entries: [Storage.LogRecord] = []
        for record in records {
            if case .actorEpoch = record { continue }
            entries.append(Storage.LogRecord(index: nextIndex, term: Self.term, payload: StoreRecordCoding.encode(record)))
            nextIndex += 1
        }
        guard !entries.isEmpty else { return false }
        recordsSinceSnapshot += UInt64(entries.count)
        store.log.append(entries, completion: completion)
        return true
    }

    /// Whether enough records were appended since the last snapshot (and
    /// no snapshot is being written).
    var wantsSnapshot: Bool { recordsSinceSnapshot >= Self.snapshotEveryRecords && !snapshotting.isSet }

    /// Saves `state`, the state after every record appended so far, as a
    /// snapshot on the snapshot queue; `done` runs there with the outcome.
    func snapshot(_ state: StoredState, done: @escaping @Sendable (Error?) -> Void) {
        let index = nextIndex - 1
        guard index >= 1 else { return }
        var withoutEpoch = state
        withoutEpoch.actorEpoch = 0
        let data = StoreRecordCoding.encodeState(withoutEpoch)
        recordsSinceSnapshot = 0
        snapshotting.set(true)
        let store = self.store, flag = snapshotting
        snapshotQueue.async {
            do {
                try store.saveSnapshot(Storage.SnapshotRecord(index: index, term: Self.term, data: data))
                flag.set(false)
                done(nil)
            } catch {
                flag.set(false)
                done(error)
            }
        }
    }

    /// Syncs what is written (`everysec`'s background sync).
    func sync(completion: @escaping @Sendable (Result<Void, Storage.StorageError>) -> Void) {
        store.log.sync(completion: completion)
    }

    /// Waits for a snapshot being written, syncs everything written and
    /// closes the directory.
    func close() {
        snapshotQueue.sync {}
        try? store.log.syncAndWait()
        store.close()
    }

    private final class SnapshotFlag: @unchecked Sendable {
        // Safety: `value` is guarded by `lock`.
        private let lock = NSLock()
        private var value = false
        var isSet: Bool { lock.withLock { value } }
        func set(_ newValue: Bool) { lock.withLock { value = newValue } }
    }
}

/// The binary forms of the available store's log records and snapshots.
///
/// A record is a tag byte and its fields, in ConcordDynamo's binary forms
/// (`StoredObject`'s among them, unchanged):
/// 1 object (key, copy), 2 object removed (key), 3 hint (member, key,
/// copy), 4 hint removed (member, key), 5 pending writes (key, count,
/// writes). A snapshot is a version byte (1), then the copies (count,
/// then key and copy each), the hints (count of members, then the member,
/// a count, and key and copy each) and the pending writes (count, then the
/// key, a count and the writes).
enum StoreRecordCoding {
    static let snapshotVersion: UInt8 = 1

    /// A record's bytes in the log: `StorageRecord`'s own encoding (the
    /// store's, shared with its messages), one record per log record.
    static func encode(_ record: StorageRecord) -> [UInt8] {
        var writer = BinaryWriter()
        record.encode(to: &writer)
        return writer.take()
    }

    static func decode(_ bytes: [UInt8]) throws(BinaryDecodingError) -> StorageRecord {
        var reader = BinaryReader(bytes)
        let record = try StorageRecord(from: &reader)
        try reader.finish()
        return record
    }

    static func encodeState(_ state: StoredState) -> [UInt8] {
        var writer = BinaryWriter()
        writer.writeByte(snapshotVersion)
        writer.writeVarint(state.actorEpoch)
        writer.writeVarint(UInt64(state.objects.count))
        for (key, object) in state.objects { KeyedObject(key: key, object: object).encode(to: &writer) }
        writer.writeVarint(UInt64(state.hints.count))
        for (member, objects) in state.hints {
            member.encode(to: &writer)
            writer.writeVarint(UInt64(objects.count))
            for (key, object) in objects { KeyedObject(key: key, object: object).encode(to: &writer) }
        }
        writer.writeVarint(UInt64(state.pending.count))
        for (key, writes) in state.pending {
            key.encode(to: &writer)
            writer.writeVarint(UInt64(writes.count))
            for write in writes { write.encode(to: &writer) }
        }
        return writer.take()
    }

    static func decodeState(_ bytes: [UInt8]) throws(BinaryDecodingError) -> StoredState {
        var reader = BinaryReader(bytes)
        guard try reader.readByte() == snapshotVersion else { throw .invalidValue("unknown store snapshot version", offset: 0) }
        var state = StoredState()
        state.actorEpoch = try reader.readVarint()
        for _ in 0..<(try reader.readCount()) {
            let keyed = try KeyedObject(from: &reader)
            state.objects[keyed.key] = keyed.object
        }
        for _ in 0..<(try reader.readCount()) {
            let member = try MemberID(from: &reader)
            var objects: [ByteString: StoredObject] = [:]
            for _ in 0..<(try reader.readCount()) {
                let keyed = try KeyedObject(from: &reader)
                objects[keyed.key] = keyed.object
            }
            state.hints[member] = objects
        }
        for _ in 0..<(try reader.readCount()) {
            let key = try ByteString(from: &reader)
            var writes: [PendingWrite] = []
            for _ in 0..<(try reader.readCount()) { writes.append(try PendingWrite(from: &reader)) }
            state.pending[key] = writes
        }
        try reader.finish()
        return state
    }
}
