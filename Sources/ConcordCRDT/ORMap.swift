import ConcordFoundation
import ConcordClocks

/// An observed-remove map of nested causal CRDTs (Almeida et al. 2018,
/// §7.4; the design of Riak's maps): each key holds a causal CRDT (an
/// ``ORSet``, an ``MVRegister`` or another ``ORMap``) whose dots share the
/// map's causal context.
///
/// The map's keys carry dots: a key is present exactly while its value
/// holds a live dot. Removing a key deletes the dots observed under it; an
/// update made concurrently adds dots the remove did not observe, so the
/// key survives with that update (update wins over remove), and only the
/// observed part of the value is gone. Values of the same key merge with
/// their own join.
public struct ORMap<Key: Hashable & Sendable, Value: CausalCRDT>: CausalCRDT, Hashable {
    /// The live dots: each key to the store of its nested value.
    public private(set) var store: DotMap<Key, Value.Store>
    /// Every dot this replica has seen, live or removed.
    public private(set) var context: CausalContext

    /// The state `(store, context)`; every dot of `store` must be in `context`.
    public init(store: DotMap<Key, Value.Store>, context: CausalContext) {
        self.store = store
        self.context = context
    }

    /// The present keys.
    public var keys: Set<Key> {
        Set(store.entries.keys)
    }

    /// The value under `key`, nil when the key is absent.
    public subscript(key: Key) -> Value? {
        guard let nested = store.entries[key] else { return nil }
        return Value(store: nested, context: context)
    }

    /// Applies a delta mutator of the nested value under `key` (starting
    /// from the empty value if the key is absent). `mutate` receives the
    /// value, calls one of its mutators, and returns the delta that mutator
    /// returned. Returns the map's delta.
    ///
    /// ```swift
    /// map.update("cart") { $0.insert("apple", at: replica) }
    /// ```
    @discardableResult
    public mutating func update(_ key: Key, _ mutate: (inout Value) -> Value) -> ORMap {
        var value = Value(store: store[key], context: context)
        let nestedDelta = mutate(&value)
        let delta = ORMap(store: DotMap([key: nestedDelta.store]), context: nestedDelta.context)
        // The nested mutator already applied itself to `value`, which shares
        // this map's context: adopt its store and context.
        store[key] = value.store
        context = value.context
        return delta
    }

    /// Removes `key`: deletes every dot observed under it. Returns the delta.
    @discardableResult
    public mutating func remove(_ key: Key) -> ORMap {
        let delta = ORMap(store: DotMap(), context: CausalContext(dots: store[key].dots))
        store[key] = Value.Store()
        return delta
    }
}

extension ORMap: Codable where Key: Codable, Value.Store: Codable {}

extension ORMap: BinaryCodable where Key: BinaryCodable, Value.Store: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        context.encode(to: &writer)
        store.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let context = try CausalContext(from: &reader)
        let start = reader.offset
        let store = try DotMap<Key, Value.Store>(from: &reader)
        guard store.dots.allSatisfy(context.contains) else {
            throw .invalidValue("store dot outside the causal context", offset: start)
        }
        self.init(store: store, context: context)
    }
}
