/// A `RaftStorage` held in memory: the model every other storage must agree
/// with, and the durable image the simulator keeps for a replica.
public struct MemoryRaftStorage: RaftStorage, Sendable, Hashable {
    /// The stored state.
    public private(set) var state: RaftDurableState

    /// Creates a storage holding `state` (for example `.bootstrap(…)`).
    public init(_ state: RaftDurableState) {
        self.state = state
    }

    public func load() throws(RaftStorageError) -> RaftDurableState {
        state
    }

    public mutating func saveSnapshot(_ snapshot: RaftSnapshot) throws(RaftStorageError) {
        let metadata = snapshot.metadata
        guard metadata.index > state.snapshot.metadata.index else { return }
        let offset = state.snapshot.metadata.index
        if metadata.index <= state.lastIndex,
            state.entries[Int(metadata.index - offset - 1)].term == metadata.term
        {
            state.entries.removeFirst(Int(metadata.index - offset))
        } else {
            state.entries.removeAll()
        }
        state.snapshot = snapshot
    }

    public mutating func append(_ entries: [LogEntry]) throws(RaftStorageError) {
        let offset = state.snapshot.metadata.index
        let fresh = entries.drop { $0.index <= offset }
        guard let first = fresh.first else { return }
        guard first.index <= state.lastIndex + 1 else {
            throw .entriesNotContiguous(lastStored: state.lastIndex, firstAppended: first.index)
        }
        state.entries.removeSubrange(Int(first.index - offset - 1)...)
        state.entries.append(contentsOf: fresh)
    }

    public mutating func saveHardState(_ hardState: HardState) throws(RaftStorageError) {
        state.hardState = hardState
    }

    public mutating func sync() throws(RaftStorageError) {}
}
