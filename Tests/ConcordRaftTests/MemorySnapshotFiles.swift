@testable import ConcordRaft

/// A replica's snapshot files in memory, for tests: the durable snapshot
/// (what the replica's storage holds, set by the test cluster after each
/// persist) and the chunks of one being received. Counts every read, so a
/// test can tell the chunks a leader sent came from here.
///
/// Tests drive a cluster from one task, so the class needs no lock.
final class MemorySnapshotFiles: SnapshotFiles, @unchecked Sendable {
    var durable: RaftSnapshot
    var incoming: [UInt8] = []
    /// The ranges read from `durable`, in order.
    var reads: [Range<Int>] = []
    /// Refuses every read while true (a file that cannot be read).
    var failsReads = false

    init(_ durable: RaftSnapshot) {
        self.durable = durable
    }

    func readSnapshot(_ metadata: SnapshotMetadata, offset: Int, count: Int) -> [UInt8]? {
        guard !failsReads, metadata == durable.metadata else { return nil }
        precondition(offset >= 0 && offset + count <= durable.data.count, "a read outside the snapshot")
        reads.append(offset..<(offset + count))
        return Array(durable.data[offset..<(offset + count)])
    }

    func writeIncomingSnapshot(_ metadata: SnapshotMetadata, offset: Int, _ bytes: [UInt8]) -> Bool {
        if offset == 0 {
            incoming = []
        }
        precondition(offset == incoming.count, "a chunk that does not follow the last one")
        incoming.append(contentsOf: bytes)
        return true
    }

    func readIncomingSnapshot(_ metadata: SnapshotMetadata) -> [UInt8]? {
        incoming
    }
}
