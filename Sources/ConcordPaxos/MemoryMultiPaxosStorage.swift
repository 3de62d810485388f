/// A Multi-Paxos replica's durable state in memory: the reference
/// implementation of `MultiPaxosPersistRequest`'s semantics, used by the
/// simulator and by tests.
public struct MemoryMultiPaxosStorage: Sendable, Hashable {
    /// What is stored.
    public private(set) var state: MultiPaxosDurableState

    /// A storage holding `state`.
    public init(_ state: MultiPaxosDurableState = MultiPaxosDurableState()) {
        self.state = state
    }

    /// Applies a request in its documented order.
    /// - Throws: `MultiPaxosStorageError` when the entries would leave a hole
    ///   (nothing changes then).
    public mutating func persist(_ request: MultiPaxosPersistRequest) throws(MultiPaxosStorageError) {
        var next = state
        if let snapshot = request.snapshot, snapshot.index > next.snapshot.index {
            next.entries.removeAll { $0.slot <= snapshot.index }
            if let first = next.entries.first, first.slot != snapshot.index + 1 { next.entries = [] }
            next.snapshot = snapshot
        }
        if let first = request.entries.first {
            let base = next.snapshot.index
            for (offset, entry) in request.entries.enumerated() where entry.slot != first.slot + UInt64(offset) {
                throw .entriesNotContiguous(lastStored: first.slot + UInt64(offset) - 1, firstWritten: entry.slot)
            }
            let kept = request.entries.filter { $0.slot > base }
            if let firstKept = kept.first {
                guard firstKept.slot <= next.lastIndex + 1 else {
                    throw .entriesNotContiguous(lastStored: next.lastIndex, firstWritten: firstKept.slot)
                }
                next.entries.removeAll { $0.slot >= firstKept.slot }
                next.entries.append(contentsOf: kept)
            }
        }
        if let hardState = request.hardState {
            next.hardState = hardState
        }
        state = next
    }
}
