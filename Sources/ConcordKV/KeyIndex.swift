/// The store's ordered index: every key's history, sorted by key bytes.
///
/// A sorted array searched by bisection. Lookups and the start of a range
/// cost O(log n) comparisons and a range scan reads contiguous memory; an
/// insertion costs O(n) moves, but only the first put of a never-seen key
/// (or of a key compaction removed) inserts: updates, deletes and re-creates
/// change an entry in place. For the key counts a Raft-replicated
/// coordination store holds (etcd suggests well under a few million, and
/// Concord's snapshots rebuild the array in one pass) this is simpler and
/// faster to scan than a B-tree; a B-tree is the step to take if inserts of
/// new keys ever dominate.
struct KeyIndex: Sendable, Hashable {
    /// Invariant: keys strictly increase.
    private(set) var entries: [KeyHistory] = []

    init() {}

    /// Restores an index from entries already sorted by key.
    init(sorted entries: [KeyHistory]) {
        self.entries = entries
    }

    var count: Int { entries.count }

    /// The position of the first key not less than `key`.
    func lowerBound(_ key: [UInt8]) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].key.lexicographicallyPrecedes(key) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    /// The positions of the keys a request's `key` and `rangeEnd` select:
    /// one key when `rangeEnd` is empty, every key from `key` on when it is
    /// `[0]`, otherwise `[key, rangeEnd)`.
    func positions(key: [UInt8], rangeEnd: [UInt8]) -> Range<Int> {
        let start = lowerBound(key)
        if rangeEnd.isEmpty {
            return start < entries.count && entries[start].key == key ? start..<(start + 1) : start..<start
        }
        if rangeEnd == [0] {
            return start..<entries.count
        }
        guard key.lexicographicallyPrecedes(rangeEnd) else { return start..<start }
        return start..<max(start, lowerBound(rangeEnd))
    }

    subscript(position: Int) -> KeyHistory {
        entries[position]
    }

    /// Records a put, adding the key if it is not in the index.
    mutating func put(key: [UInt8], value: [UInt8], lease: Int64, at revision: Revision) {
        let position = lowerBound(key)
        if position < entries.count && entries[position].key == key {
            entries[position].put(value: value, lease: lease, at: revision)
        } else {
            var history = KeyHistory(key: key)
            history.put(value: value, lease: lease, at: revision)
            entries.insert(history, at: position)
        }
    }

    /// Records a delete of the key at `position`; false if it was absent.
    mutating func delete(at position: Int, revision: Revision) -> Bool {
        entries[position].delete(at: revision)
    }

    /// Compacts every key's history and drops keys left with none.
    mutating func compact(at revision: Int64) {
        for position in entries.indices {
            entries[position].compact(at: revision)
        }
        entries.removeAll { $0.isEmpty }
    }
}
