/// A replica's log in memory: the entries after the latest snapshot, the
/// commit and apply positions, and how much of it is durable.
///
/// The log has a stable and an unstable part (as etcd-io/raft's `raftLog`
/// and `unstable`): entries up to `persisted` are known durable; entries from
/// `unpersistedFrom` on have not yet been handed to the driver in a
/// `PersistRequest`; the ones between are being written.
///
/// Invariant: `snapshotIndex <= applied <= committed <= lastIndex` and
/// `entries[i].index == snapshotIndex + 1 + i`.
struct RaftLog: Sendable {
    private(set) var snapshotIndex: UInt64
    private(set) var snapshotTerm: UInt64
    private(set) var entries: [LogEntry]
    private(set) var committed: UInt64
    var applied: UInt64
    /// The highest index known to be durable on this replica.
    private(set) var persisted: UInt64
    /// The first index not yet handed to the driver for persisting.
    private(set) var unpersistedFrom: UInt64
    /// Violations of the log's invariants tolerated because a test-only bug
    /// is switched on; empty otherwise (the invariants are preconditions).
    private(set) var violations: [String] = []
    private let toleratesViolations: Bool

    init(restoring durable: RaftDurableState, toleratesViolations: Bool) {
        let base = durable.snapshot.metadata.index
        precondition(
            durable.entries.first.map { $0.index == base + 1 } ?? true,
            "the durable log must start right after the snapshot")
        snapshotIndex = base
        snapshotTerm = durable.snapshot.metadata.term
        entries = durable.entries
        let last = durable.entries.last?.index ?? base
        committed = min(max(durable.hardState.commit, base), last)
        applied = base
        persisted = last
        unpersistedFrom = last + 1
        self.toleratesViolations = toleratesViolations
    }

    var firstIndex: UInt64 { snapshotIndex + 1 }
    var lastIndex: UInt64 { entries.last?.index ?? snapshotIndex }
    var lastTerm: UInt64 { entries.last?.term ?? snapshotTerm }

    /// The term of the entry at `index`, or nil when it was compacted away
    /// or does not exist yet.
    func term(at index: UInt64) -> UInt64? {
        if index == snapshotIndex { return snapshotTerm }
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)].term
    }

    func entry(at index: UInt64) -> LogEntry? {
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)]
    }

    func matchTerm(_ index: UInt64, _ term: UInt64) -> Bool {
        self.term(at: index) == term
    }

    /// The election restriction (Raft §5.4.1): a log ending in
    /// (`lastIndex`, `lastTerm`) is at least as up-to-date as this one.
    func isUpToDate(lastIndex index: UInt64, lastTerm term: UInt64) -> Bool {
        term > lastTerm || (term == lastTerm && index >= lastIndex)
    }

    /// The index of the first entry of `new` that conflicts with (or is
    /// missing from) this log, or nil when all of them are present.
    func firstConflict(in new: some Collection<LogEntry>) -> UInt64? {
        for entry in new where !matchTerm(entry.index, entry.term) {
            return entry.index
        }
        return nil
    }

    /// The largest index at or below `index` whose term is at most `term`,
    /// with that term (nil when unknown): the hint for fast backtracking
    /// (thesis §5.3; etcd-io/raft's `findConflictByTerm`).
    func conflictHint(atOrBelow index: UInt64, term: UInt64) -> (index: UInt64, term: UInt64?) {
        var candidate = min(index, lastIndex)
        while true {
            guard let found = self.term(at: candidate) else { return (candidate, nil) }
            if found <= term { return (candidate, found) }
            candidate -= 1
        }
    }

    /// Appends entries received from a leader after (`previousIndex`,
    /// `previousTerm`), truncating a conflicting suffix, and advances the
    /// commit index. Returns the index of the last new entry, or nil when
    /// the logs do not agree at the previous entry (Raft Figure 2,
    /// AppendEntries receiver rules 2–5).
    mutating func maybeAppend(
        previousIndex: UInt64, previousTerm: UInt64, leaderCommit: UInt64, entries new: [LogEntry]
    ) -> UInt64? {
        guard matchTerm(previousIndex, previousTerm) else { return nil }
        let lastNew = previousIndex + UInt64(new.count)
        if let conflict = firstConflict(in: new) {
            append(new[Int(conflict - previousIndex - 1)...])
        }
        commit(to: min(leaderCommit, lastNew))
        return lastNew
    }

    /// Appends entries, replacing any at or after the first one's index.
    @discardableResult
    mutating func append(_ new: some Collection<LogEntry>) -> UInt64 {
        guard let first = new.first else { return lastIndex }
        precondition(first.index > snapshotIndex && first.index <= lastIndex + 1, "appending with a hole")
        if first.index <= committed || first.index <= applied {
            let message = "entry \(first.index) would overwrite a committed or applied entry (commit \(committed), applied \(applied))"
            precondition(toleratesViolations, message)
            violations.append(message)
            committed = first.index - 1
            applied = min(applied, committed)
        }
        entries.removeSubrange(Int(first.index - snapshotIndex - 1)...)
        entries.append(contentsOf: new)
        unpersistedFrom = min(unpersistedFrom, first.index)
        persisted = min(persisted, first.index - 1)
        return lastIndex
    }

    /// Advances the commit index; never moves it back.
    mutating func commit(to index: UInt64) {
        guard index > committed else { return }
        precondition(index <= lastIndex, "committing past the end of the log")
        committed = index
    }

    /// Up to `countMax` entries from `index` on, at most `bytesMax` payload
    /// bytes (but at least one entry when any is available). Nil when
    /// entries at `index` were compacted into the snapshot.
    func entries(from index: UInt64, countMax: Int, bytesMax: Int) -> [LogEntry]? {
        guard index > snapshotIndex else { return nil }
        guard index <= lastIndex else { return [] }
        var result: [LogEntry] = []
        var bytes = 0
        var position = Int(index - snapshotIndex - 1)
        while position < entries.count, result.count < countMax {
            let entry = entries[position]
            if !result.isEmpty && bytes + entry.payloadBytes > bytesMax { break }
            result.append(entry)
            bytes += entry.payloadBytes
            position += 1
        }
        return result
    }

    /// The entries not yet handed out for persisting; marks them handed out.
    mutating func takeUnpersisted() -> ArraySlice<LogEntry> {
        guard unpersistedFrom <= lastIndex else { return [] }
        let slice = entries[Int(unpersistedFrom - snapshotIndex - 1)...]
        unpersistedFrom = lastIndex + 1
        return slice
    }

    /// Records that a write ending at (`index`, `term`) is durable. Ignored
    /// when the log has since diverged at `index` (a later write truncates).
    mutating func persisted(upTo index: UInt64, term: UInt64) {
        guard index > persisted, matchTerm(index, term), index < unpersistedFrom else { return }
        persisted = index
    }

    /// Committed, durable entries not yet handed to the application; marks
    /// them applied.
    mutating func takeCommittedEntries(upTo limit: UInt64, bytesMax: Int) -> [LogEntry] {
        let upTo = min(limit, persisted)
        guard upTo > applied else { return [] }
        let taken = entries(from: applied + 1, countMax: Int(upTo - applied), bytesMax: bytesMax) ?? []
        if let last = taken.last { applied = last.index }
        return taken
    }

    /// Replaces the whole log by a snapshot (Raft Figure 13, step 7).
    mutating func restore(_ metadata: SnapshotMetadata) {
        snapshotIndex = metadata.index
        snapshotTerm = metadata.term
        entries.removeAll()
        committed = metadata.index
        applied = metadata.index
        persisted = min(persisted, metadata.index)
        unpersistedFrom = metadata.index + 1
    }

    /// Records that a snapshot at `index` is durable.
    mutating func snapshotPersisted(_ index: UInt64) {
        if index == snapshotIndex && persisted < index { persisted = index }
    }

    /// Discards the entries up to `index`, which the application has folded
    /// into a snapshot (Raft §7). Precondition: `index` is applied.
    mutating func compact(upTo index: UInt64) {
        precondition(index <= applied, "compacting entries that are not applied")
        guard index > snapshotIndex else { return }
        snapshotTerm = term(at: index)!
        entries.removeFirst(Int(index - snapshotIndex))
        snapshotIndex = index
    }
}
