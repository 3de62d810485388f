import ConcordFoundation
import ConcordClocks

/// An add-wins observed-remove set (Shapiro et al. 2011, §3.3.5; the
/// optimized, tombstone-free form of Bieniusa et al., "An Optimized
/// Conflict-free Replicated Set", 2012, as a delta CRDT after Almeida et
/// al. 2018, §7.2).
///
/// Each add tags the element with a fresh dot; a remove deletes the dots it
/// has observed. An add concurrent with a remove therefore survives (its
/// dot was not observed), and an element can be removed and added again any
/// number of times. Removed elements leave no tombstone: only their dots in
/// the causal context, which compacts to a version vector.
public struct ORSet<Element: Hashable & Sendable>: CausalCRDT, Hashable {
    /// The live dots: each element to its live dots.
    public private(set) var store: DotMap<Element, DotSet>
    /// Every dot this replica has seen, live or removed.
    public private(set) var context: CausalContext

    /// The state `(store, context)`; every dot of `store` must be in `context`.
    public init(store: DotMap<Element, DotSet>, context: CausalContext) {
        self.store = store
        self.context = context
    }

    /// The elements present.
    public var elements: Set<Element> {
        Set(store.entries.keys)
    }

    /// The number of elements present.
    public var count: Int { store.entries.count }

    /// True when `element` is present.
    public func contains(_ element: Element) -> Bool {
        store.entries[element] != nil
    }

    /// Replica `replica` adds `element`. The add replaces the element's
    /// observed dots with one fresh dot. Returns the delta.
    @discardableResult
    public mutating func insert(_ element: Element, at replica: ReplicaID) -> ORSet {
        let dot = context.nextDot(for: replica)
        let observed = store[element].dots
        let delta = ORSet(
            store: DotMap([element: DotSet([dot])]),
            context: CausalContext(dots: observed.union([dot])))
        // Equal to merge(delta), without visiting every element: the
        // observed dots are already in the context.
        store[element] = DotSet([dot])
        context.insert(dot)
        return delta
    }

    /// Removes `element`: deletes the dots observed here. Returns the delta
    /// (an empty store with those dots as context).
    @discardableResult
    public mutating func remove(_ element: Element) -> ORSet {
        let delta = ORSet(store: DotMap(), context: CausalContext(dots: store[element].dots))
        store[element] = DotSet()
        return delta
    }
}

extension ORSet: Codable where Element: Codable {}

extension ORSet: BinaryCodable where Element: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        context.encode(to: &writer)
        store.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let context = try CausalContext(from: &reader)
        let start = reader.offset
        let store = try DotMap<Element, DotSet>(from: &reader)
        guard store.dots.allSatisfy(context.contains) else {
            throw .invalidValue("store dot outside the causal context", offset: start)
        }
        self.init(store: store, context: context)
    }
}
