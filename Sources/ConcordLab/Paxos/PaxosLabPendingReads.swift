import ConcordPaxos

/// A Multi-Paxos lab server's reads in flight: each waits first for the
/// leader to confirm its read index (by its read context), then for the
/// state machine to apply up to that index.
struct PaxosLabPendingReads<Read> {
    private var lastContext: UInt64 = 0
    private var awaitingIndex: [UInt64: Read] = [:]
    private var awaitingApply: [(index: UInt64, read: Read)] = []

    /// A fresh context for the next read.
    mutating func nextContext() -> UInt64 {
        lastContext += 1
        return lastContext
    }

    /// `read` waits for the read index of `context`.
    mutating func awaitIndex(_ context: UInt64, _ read: Read) {
        awaitingIndex[context] = read
    }

    /// The node confirmed these read indexes.
    mutating func confirmed(_ readStates: [MultiPaxosReadState]) {
        for readState in readStates { confirmed(index: readState.index, context: readState.context) }
    }

    /// The node confirmed `index` for the read with this context.
    mutating func confirmed(index: UInt64, context: UInt64) {
        if let read = awaitingIndex.removeValue(forKey: context) {
            awaitingApply.append((index, read))
        }
    }

    /// Forgets the reads still waiting for their index: a deposed leader's
    /// may never be confirmed (clients time out and retry).
    mutating func dropUnconfirmed() {
        awaitingIndex.removeAll()
    }

    /// Removes and returns, in arrival order, the reads whose index is applied.
    mutating func takeServable(applied: UInt64) -> [Read] {
        guard !awaitingApply.isEmpty else { return [] }
        var servable: [Read] = []
        var remaining: [(index: UInt64, read: Read)] = []
        for pending in awaitingApply {
            if pending.index <= applied { servable.append(pending.read) } else { remaining.append(pending) }
        }
        awaitingApply = remaining
        return servable
    }
}
