/// A version vector (Parker et al., "Detection of Mutual Inconsistency in
/// Distributed Systems", 1983): for each replica, how many of its updates to
/// a data item this copy has seen. Replica `r` with entry `n` has seen the
/// dots `(r, 1) … (r, n)` and none after.
///
/// Where a ``VectorClock`` tracks the events of processes, a version vector
/// tracks the updates of a replicated item; it is the compact summary of a
/// causal context (``CausalContext`` in ConcordCRDT adds the dots that do
/// not yet form a contiguous prefix).
///
/// Invariant: no entry is 0.
public struct VersionVector: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The number of updates seen from each replica.
    public private(set) var entries: [ReplicaID: UInt64]

    /// The vector of a copy that has seen no update.
    public init() {
        entries = [:]
    }

    /// A vector with these entries (zero entries are dropped).
    public init(_ entries: [ReplicaID: UInt64]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    /// The number of updates seen from `replica`.
    public subscript(replica: ReplicaID) -> UInt64 {
        get { entries[replica] ?? 0 }
        set { entries[replica] = newValue == 0 ? nil : newValue }
    }

    /// True when no update has been seen.
    public var isEmpty: Bool { entries.isEmpty }

    /// True when the update named by `dot` is part of this history.
    public func contains(_ dot: Dot) -> Bool {
        dot.counter <= self[dot.replica]
    }

    /// Records the next update of `replica` and returns its dot.
    public mutating func increment(_ replica: ReplicaID) -> Dot {
        let next = self[replica]
        precondition(next < UInt64.max, "version vector entry exhausted")
        self[replica] = next + 1
        return Dot(replica: replica, counter: next + 1)
    }

    /// Adds a dot that extends the contiguous prefix of its replica, or any
    /// earlier dot (which is already contained). Returns false, changing
    /// nothing, when the dot would leave a gap.
    @discardableResult
    public mutating func add(_ dot: Dot) -> Bool {
        let current = self[dot.replica]
        if dot.counter <= current { return true }
        guard dot.counter == current + 1 else { return false }
        self[dot.replica] = dot.counter
        return true
    }

    /// The pointwise maximum.
    public mutating func merge(_ other: VersionVector) {
        mergeCounters(&entries, other.entries)
    }

    /// The pointwise maximum of the two vectors.
    public func merging(_ other: VersionVector) -> VersionVector {
        var result = self
        result.merge(other)
        return result
    }

    /// How this history relates to `other`.
    public func compare(_ other: VersionVector) -> CausalOrder {
        compareCounters(entries, other.entries)
    }

    /// True when every update in `other` is also in this vector.
    public func descends(from other: VersionVector) -> Bool {
        let order = compare(other)
        return order == .after || order == .equal
    }

    public var description: String {
        let parts = entries.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }
        return "[" + parts.joined(separator: " ") + "]"
    }
}
