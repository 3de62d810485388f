import ConcordClocks

/// A causal CRDT: a ``DotStore`` together with the ``CausalContext`` of
/// every dot the replica has seen (Almeida et al. 2018, §6). The join of
/// two causal states joins the stores under both contexts and unites the
/// contexts; removals need no tombstones.
///
/// Invariant: every dot of the store is in the context.
public protocol CausalCRDT: StateCRDT {
    /// The kind of dot store.
    associatedtype Store: DotStore & Hashable
    /// The live dots and their payloads.
    var store: Store { get }
    /// Every dot seen.
    var context: CausalContext { get }
    /// Creates the state `(store, context)`.
    init(store: Store, context: CausalContext)
}

extension CausalCRDT {
    /// The bottom state: empty store, empty context.
    public init() {
        self.init(store: Store(), context: CausalContext())
    }

    public mutating func merge(_ other: Self) {
        self = Self(
            store: store.joined(context, with: other.store, other.context),
            context: context.merging(other.context))
    }
}
