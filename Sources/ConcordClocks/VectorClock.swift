/// A vector clock (Fidge 1988, Mattern 1989): one counter per process,
/// so that `a` happened before `b` exactly when `a`'s vector is strictly
/// smaller than `b`'s. Unlike a ``LamportClock`` it can tell concurrent
/// events apart from ordered ones.
///
/// Invariant: no entry is 0 (a missing entry means 0), so equal histories
/// have equal values.
public struct VectorClock: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The counter of each process that has an event in this history.
    public private(set) var entries: [ReplicaID: UInt64]

    /// An empty history.
    public init() {
        entries = [:]
    }

    /// A history with these counters (zero entries are dropped).
    public init(_ entries: [ReplicaID: UInt64]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    /// The counter of `replica` (0 if it has none).
    public subscript(replica: ReplicaID) -> UInt64 {
        entries[replica] ?? 0
    }

    /// A local event of `replica`: its own counter advances.
    @discardableResult
    public mutating func tick(_ replica: ReplicaID) -> VectorClock {
        let current = self[replica]
        precondition(current < UInt64.max, "vector clock entry exhausted")
        entries[replica] = current + 1
        return self
    }

    /// Sending a message from `replica` is a local event; the returned clock
    /// travels with the message.
    public mutating func send(_ replica: ReplicaID) -> VectorClock {
        tick(replica)
    }

    /// Receipt of a message stamped `remote` at `replica`: merge, then tick.
    @discardableResult
    public mutating func receive(_ remote: VectorClock, at replica: ReplicaID) -> VectorClock {
        merge(remote)
        return tick(replica)
    }

    /// The pointwise maximum: the smallest history containing both.
    public mutating func merge(_ other: VectorClock) {
        mergeCounters(&entries, other.entries)
    }

    /// The pointwise maximum of the two clocks.
    public func merging(_ other: VectorClock) -> VectorClock {
        var result = self
        result.merge(other)
        return result
    }

    /// How this history relates to `other`.
    public func compare(_ other: VectorClock) -> CausalOrder {
        compareCounters(entries, other.entries)
    }

    /// True when this history happened strictly before `other`.
    public func happenedBefore(_ other: VectorClock) -> Bool {
        compare(other) == .before
    }

    /// True when neither history contains the other.
    public func isConcurrent(with other: VectorClock) -> Bool {
        compare(other) == .concurrent
    }

    public var description: String {
        let parts = entries.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }
        return "[" + parts.joined(separator: " ") + "]"
    }
}
