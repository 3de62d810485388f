import ConcordFoundation
import ConcordRaft

extension Storage {
    /// How Raft's values are laid out inside storage's opaque payloads
    /// (docs/storage.md, "Raft payloads").
    ///
    /// - A log entry's record payload is one byte of `ConcordRaft.LogEntry.Kind`
    ///   followed by the entry's data.
    /// - A snapshot's data is the configuration, then the application's
    ///   bytes: format version (1 byte, 1), `autoLeave` (1 byte, 0 or 1),
    ///   then four replica sets (voters, outgoing voters, learners, next
    ///   learners), each a 4-byte count and that many 8-byte replica IDs in
    ///   ascending order, then the application data to the end.
    enum RaftCoding {
        static let configurationVersion: UInt8 = 1

        static func encode(_ entry: ConcordRaft.LogEntry) -> Storage.LogRecord {
            Storage.LogRecord(index: entry.index, term: entry.term, payload: [entry.kind.rawValue] + entry.data)
        }

        static func decode(_ record: Storage.LogRecord) throws(RaftStorageError) -> ConcordRaft.LogEntry {
            guard let first = record.payload.first, let kind = ConcordRaft.LogEntry.Kind(rawValue: first) else {
                throw .corrupted("log entry \(record.index) has no valid kind byte")
            }
            return ConcordRaft.LogEntry(index: record.index, term: record.term, kind: kind, data: Array(record.payload.dropFirst()))
        }

        static func encode(_ snapshot: RaftSnapshot) -> Storage.SnapshotRecord {
            let bytes = configurationPrefix(snapshot.metadata.configuration) + snapshot.data
            return Storage.SnapshotRecord(index: snapshot.metadata.index, term: snapshot.metadata.term, data: bytes)
        }

        /// The bytes a snapshot's data starts with, before the application's.
        static func configurationPrefix(_ configuration: ConfigurationState) -> [UInt8] {
            var bytes: [UInt8] = [configurationVersion, configuration.autoLeave ? 1 : 0]
            for set in [configuration.voters, configuration.votersOutgoing, configuration.learners, configuration.learnersNext] {
                bytes.appendLittleEndian(UInt32(set.count))
                for replica in set.sorted() { bytes.appendLittleEndian(replica) }
            }
            return bytes
        }

        static func decode(_ snapshot: Storage.SnapshotRecord) throws(RaftStorageError) -> RaftSnapshot {
            let bytes = snapshot.data
            func corrupted(_ reason: String) -> RaftStorageError {
                .corrupted("snapshot \(snapshot.index): \(reason)")
            }
            guard bytes.count >= 2, bytes[0] == configurationVersion, bytes[1] <= 1 else {
                throw corrupted("bad configuration header")
            }
            var offset = 2
            var sets: [Set<MemberID>] = []
            for _ in 0..<4 {
                guard offset + 4 <= bytes.count else { throw corrupted("configuration cut short") }
                let count = Int(bytes.loadLittleEndian(UInt32.self, at: offset))
                offset += 4
                guard count <= (bytes.count - offset) / 8 else { throw corrupted("configuration cut short") }
                sets.append(Set((0..<count).map { bytes.loadLittleEndian(UInt64.self, at: offset + 8 * $0) }))
                offset += 8 * count
            }
            let configuration = ConfigurationState(
                voters: sets[0], votersOutgoing: sets[1], learners: sets[2], learnersNext: sets[3], autoLeave: bytes[1] == 1)
            return RaftSnapshot(
                metadata: SnapshotMetadata(index: snapshot.index, term: snapshot.term, configuration: configuration),
                data: Array(bytes[offset...]))
        }

        static func encode(_ state: ConcordRaft.HardState) -> Storage.VoteRecord {
            Storage.VoteRecord(term: state.term, vote: state.vote, commit: state.commit)
        }

        static func decode(_ state: Storage.VoteRecord) -> ConcordRaft.HardState {
            ConcordRaft.HardState(term: state.term, vote: state.vote, commit: state.commit)
        }
    }
}
