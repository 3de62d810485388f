/// A Multi-Paxos replica's log in memory: one slot per position after the
/// latest snapshot, each with the value accepted there (or vacant), whether
/// it is known chosen, and which persist request carries its current value.
///
/// Unlike a Raft log, slots are written one by one and out of order: an
/// acceptor accepts each slot on its own, a higher ballot overwrites a slot
/// in place, and nothing is ever truncated (an acceptor must not forget a
/// value it accepted). Holes are vacant slots.
///
/// Invariant: `snapshotIndex <= applied <= committed`, `committed` is the
/// end of the contiguous chosen prefix, and `slots[i]` is slot
/// `snapshotIndex + 1 + i`.
struct MultiPaxosLog: Sendable {
    struct Slot: Sendable {
        var entry: MultiPaxosLogEntry
        var chosen: Bool
        /// The sequence of the persist request that carries the current
        /// value, once handed out.
        var persistSequence: UInt64?
    }

    private(set) var snapshotIndex: UInt64
    private(set) var slots: [Slot] = []
    private(set) var committed: UInt64
    var applied: UInt64
    /// The highest slot such that it and every slot before it are durable.
    private(set) var persisted: UInt64
    /// The lowest slot written since the last persist request.
    private(set) var dirtyFrom: UInt64
    /// The highest persist sequence known durable.
    private var durableSequence: UInt64 = 0
    /// The ballot and slot of the last `agreedThrough` answer, to resume the
    /// scan from there.
    private var agreedCache: (ballot: Ballot, slot: UInt64) = (.zero, 0)
    /// Violations tolerated because a test-only bug is on.
    private(set) var violations: [String] = []
    private let toleratesViolations: Bool

    init(restoring durable: MultiPaxosDurableState, toleratesViolations: Bool) {
        let base = durable.snapshot.index
        precondition(durable.entries.first.map { $0.slot == base + 1 } ?? true, "the durable log must start right after the snapshot")
        snapshotIndex = base
        let last = durable.entries.last?.slot ?? base
        let commit = min(max(durable.hardState.commit, base), last)
        slots = durable.entries.map { Slot(entry: $0, chosen: $0.slot <= commit, persistSequence: 0) }
        committed = commit
        applied = base
        persisted = last
        dirtyFrom = last + 1
        self.toleratesViolations = toleratesViolations
    }

    var firstIndex: UInt64 { snapshotIndex + 1 }
    var lastIndex: UInt64 { snapshotIndex + UInt64(slots.count) }

    func entry(at slot: UInt64) -> MultiPaxosLogEntry? {
        guard slot > snapshotIndex, slot <= lastIndex else { return nil }
        return slots[Int(slot - snapshotIndex - 1)].entry
    }

    func isChosen(_ slot: UInt64) -> Bool {
        if slot <= snapshotIndex { return true }
        guard slot <= lastIndex else { return false }
        return slots[Int(slot - snapshotIndex - 1)].chosen
    }

    /// Writes `entry` into its slot, extending the log with vacant slots when
    /// it lies beyond the end. A slot known chosen keeps its value: writing
    /// another value there is a violation (a precondition unless a test-only
    /// bug is on); the same value may come with another ballot.
    mutating func write(_ entry: MultiPaxosLogEntry, chosen: Bool = false) {
        let slot = entry.slot
        guard slot > snapshotIndex else { return }
        while lastIndex < slot - 1 {
            slots.append(Slot(entry: .vacant(lastIndex + 1), chosen: false))
            markDirty(lastIndex)
        }
        if slot > lastIndex {
            slots.append(Slot(entry: entry, chosen: chosen))
            markDirty(slot)
            advanceCommit()
            return
        }
        let position = Int(slot - snapshotIndex - 1)
        let current = slots[position]
        if current.chosen {
            if !current.entry.hasSameValue(as: entry) {
                violation("slot \(slot) is chosen with another value than the one written (ballot \(entry.ballot))")
            }
            // The chosen value may come again in a later ballot (a new
            // leader re-proposes it): keep the later ballot.
            if current.entry != entry && entry.ballot > current.entry.ballot {
                slots[position].entry = entry
                markDirty(slot)
            }
            return
        }
        if current.entry != entry {
            slots[position].entry = entry
            markDirty(slot)
        }
        if chosen {
            slots[position].chosen = true
            advanceCommit()
        }
    }

    /// Marks every slot up to `slot` chosen (each holds the chosen value).
    mutating func markChosen(upTo slot: UInt64) {
        let end = min(slot, lastIndex)
        guard end > committed else { return }
        for index in (committed + 1)...end {
            slots[Int(index - snapshotIndex - 1)].chosen = true
        }
        advanceCommit()
    }

    private mutating func advanceCommit() {
        while committed < lastIndex, slots[Int(committed - snapshotIndex)].chosen {
            committed += 1
        }
    }

    /// Records that `slot` (which the log holds) changed: its new value is
    /// durable only once a later persist request carries it.
    private mutating func markDirty(_ slot: UInt64) {
        slots[Int(slot - snapshotIndex - 1)].persistSequence = nil
        dirtyFrom = min(dirtyFrom, slot)
        if persisted >= slot { persisted = slot - 1 }
    }

    /// The highest slot up to which every slot after the snapshot is chosen
    /// or holds a value accepted in `ballot`: the prefix this acceptor
    /// agrees on with the leader of `ballot`.
    mutating func agreedThrough(_ ballot: Ballot) -> UInt64 {
        var slot = committed
        if agreedCache.ballot == ballot, agreedCache.slot > slot { slot = min(agreedCache.slot, lastIndex) }
        while slot < lastIndex {
            let next = slots[Int(slot - snapshotIndex)]
            guard next.chosen || next.entry.ballot == ballot else { break }
            slot += 1
        }
        agreedCache = (ballot, slot)
        return slot
    }

    /// The slots written since the last call, from the lowest one to the
    /// end; they are now carried by persist request `sequence`.
    mutating func takeDirty(sequence: UInt64) -> [MultiPaxosLogEntry] {
        guard dirtyFrom <= lastIndex else {
            dirtyFrom = lastIndex + 1
            return []
        }
        let start = Int(dirtyFrom - snapshotIndex - 1)
        var entries: [MultiPaxosLogEntry] = []
        entries.reserveCapacity(slots.count - start)
        for position in start..<slots.count {
            slots[position].persistSequence = sequence
            entries.append(slots[position].entry)
        }
        dirtyFrom = lastIndex + 1
        return entries
    }

    /// True when slots were written since the last `takeDirty`.
    var hasDirtySlots: Bool { dirtyFrom <= lastIndex }

    /// Records that persist requests up to `sequence` are durable.
    mutating func persisted(upTo sequence: UInt64) {
        durableSequence = max(durableSequence, sequence)
        // Until an installed snapshot is durable, nothing after it counts.
        guard persisted >= snapshotIndex else { return }
        while persisted < lastIndex {
            let slot = slots[Int(persisted - snapshotIndex)]
            guard let carried = slot.persistSequence, carried <= durableSequence else { break }
            persisted += 1
        }
    }

    /// Records that a snapshot at `index` is durable.
    mutating func snapshotPersisted(_ index: UInt64) {
        if index == snapshotIndex && persisted < index {
            persisted = index
            persisted(upTo: durableSequence)
        }
    }

    /// Up to `countMax` slots from `slot` on, at most `bytesMax` command
    /// bytes (at least one slot when any is available). Nil when `slot` was
    /// compacted away.
    func entries(from slot: UInt64, countMax: Int, bytesMax: Int) -> [MultiPaxosLogEntry]? {
        guard slot > snapshotIndex else { return nil }
        guard slot <= lastIndex else { return [] }
        var result: [MultiPaxosLogEntry] = []
        var bytes = 0
        var position = Int(slot - snapshotIndex - 1)
        while position < slots.count, result.count < countMax {
            let entry = slots[position].entry
            if !result.isEmpty && bytes + entry.payloadBytes > bytesMax { break }
            result.append(entry)
            bytes += entry.payloadBytes
            position += 1
        }
        return result
    }

    /// Every accepted (not vacant) slot from `slot` on.
    func acceptedEntries(from slot: UInt64) -> [MultiPaxosLogEntry] {
        let start = max(slot, firstIndex)
        guard start <= lastIndex else { return [] }
        return slots[Int(start - snapshotIndex - 1)...].compactMap { $0.entry.kind == .vacant ? nil : $0.entry }
    }

    /// The chosen and durable entries after `applied`, at most `bytesMax`
    /// command bytes (at least one); marks them applied.
    mutating func takeCommitted(bytesMax: Int) -> [MultiPaxosLogEntry] {
        let limit = min(committed, persisted)
        guard limit > applied else { return [] }
        var result: [MultiPaxosLogEntry] = []
        var bytes = 0
        while applied < limit {
            let entry = slots[Int(applied - snapshotIndex)].entry
            if !result.isEmpty && bytes + entry.payloadBytes > bytesMax { break }
            result.append(entry)
            bytes += entry.payloadBytes
            applied += 1
        }
        return result
    }

    /// Discards the slots up to `slot`, which the application folded into a
    /// snapshot. Precondition: `slot` is applied.
    mutating func compact(upTo slot: UInt64) {
        precondition(slot <= applied, "compacting slots that are not applied")
        guard slot > snapshotIndex else { return }
        slots.removeFirst(Int(slot - snapshotIndex))
        snapshotIndex = slot
    }

    /// Installs a snapshot at `index` received from a leader: every slot up
    /// to it is chosen and applied; later slots are kept (an acceptor
    /// remembers what it accepted) and written again with the snapshot.
    mutating func restore(snapshotAt index: UInt64) {
        precondition(index > committed, "installing a snapshot the log already covers")
        if index >= lastIndex {
            slots = []
        } else {
            slots.removeFirst(Int(index - snapshotIndex))
        }
        snapshotIndex = index
        committed = index
        applied = index
        persisted = min(persisted, index)
        dirtyFrom = index + 1
        agreedCache = (.zero, 0)
        advanceCommit()
    }

    private mutating func violation(_ message: String) {
        precondition(toleratesViolations, message)
        violations.append(message)
    }
}
