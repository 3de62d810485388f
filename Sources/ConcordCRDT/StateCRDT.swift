/// A state-based CRDT: a join semilattice whose join is ``merge(_:)``.
///
/// Laws (checked by Concord's property tests for every conforming type):
/// - `a.merging(b) == b.merging(a)` (commutative);
/// - `a.merging(b).merging(c) == a.merging(b.merging(c))` (associative);
/// - `a.merging(a) == a` (idempotent);
/// - `a ≤ a.merging(b)`: merging never loses information.
/// `init()` is the bottom element: a replica that has seen nothing.
public protocol StateCRDT: Equatable, Sendable {
    /// The state of a replica that has seen no update.
    init()
    /// Joins `other` into this state.
    mutating func merge(_ other: Self)
}

extension StateCRDT {
    /// The join of the two states.
    public func merging(_ other: Self) -> Self {
        var result = self
        result.merge(other)
        return result
    }

    /// The lattice order: true when `other` already contains everything this
    /// state knows (`self ≤ other`, that is `self ⊔ other == other`).
    public func isCovered(by other: Self) -> Bool {
        merging(other) == other
    }
}
