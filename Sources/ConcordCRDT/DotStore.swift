import ConcordFoundation
import ConcordClocks

/// The payload of a causal CRDT: a structure of dots, interpreted together
/// with a ``CausalContext`` (Almeida et al. 2018, §6.1).
///
/// A dot present in the store is a live update; a dot in the context but
/// not in the store is an update that was seen and then overwritten or
/// removed. Joining two (store, context) pairs keeps a dot when both stores
/// have it, or when one store has it and the other context has never seen it.
public protocol DotStore: Equatable, Sendable {
    /// The empty store.
    init()
    /// True when the store holds no dot.
    var isEmpty: Bool { get }
    /// Every dot in the store.
    var dots: Set<Dot> { get }
    /// The join of `(self, context)` and `(other, otherContext)`, store part.
    func joined(_ context: CausalContext, with other: Self, _ otherContext: CausalContext) -> Self
}

/// A set of dots: the store of an add-wins flag or of one OR-Set element.
public struct DotSet: DotStore, Hashable, Codable {
    /// The live dots.
    public private(set) var dots: Set<Dot>

    /// An empty store.
    public init() {
        dots = []
    }

    /// A store holding `dots`.
    public init(_ dots: Set<Dot>) {
        self.dots = dots
    }

    public var isEmpty: Bool { dots.isEmpty }

    public func joined(_ context: CausalContext, with other: DotSet, _ otherContext: CausalContext) -> DotSet {
        if dots == other.dots { return self }
        var result = dots.intersection(other.dots)
        for dot in dots where !otherContext.contains(dot) { result.insert(dot) }
        for dot in other.dots where !context.contains(dot) { result.insert(dot) }
        return DotSet(result)
    }
}

/// A map from dots to values: the store of a multi-value register.
///
/// Invariant: a dot names one write, so both sides map a shared dot to the
/// same value.
public struct DotFunction<Value: Hashable & Sendable>: DotStore, Hashable {
    /// The live writes.
    public private(set) var entries: [Dot: Value]

    /// An empty store.
    public init() {
        entries = [:]
    }

    /// A store with these writes.
    public init(_ entries: [Dot: Value]) {
        self.entries = entries
    }

    public var isEmpty: Bool { entries.isEmpty }

    public var dots: Set<Dot> { Set(entries.keys) }

    public func joined(_ context: CausalContext, with other: DotFunction, _ otherContext: CausalContext) -> DotFunction {
        var result: [Dot: Value] = [:]
        for (dot, value) in entries where other.entries[dot] != nil || !otherContext.contains(dot) {
            result[dot] = value
        }
        for (dot, value) in other.entries where result[dot] == nil && !context.contains(dot) {
            result[dot] = value
        }
        return DotFunction(result)
    }
}

/// A map from keys to dot stores: the store of an OR-Set (keys to dot sets)
/// and of an OR-Map (keys to the stores of nested causal CRDTs). A key is
/// present exactly when its store holds a dot: the keys carry dots.
public struct DotMap<Key: Hashable & Sendable, Store: DotStore & Hashable>: DotStore, Hashable {
    /// The non-empty store of each present key.
    public private(set) var entries: [Key: Store]

    /// An empty map.
    public init() {
        entries = [:]
    }

    /// A map with these entries (empty stores dropped).
    public init(_ entries: [Key: Store]) {
        self.entries = entries.filter { !$0.value.isEmpty }
    }

    public var isEmpty: Bool { entries.isEmpty }

    public var dots: Set<Dot> {
        var result: Set<Dot> = []
        for store in entries.values { result.formUnion(store.dots) }
        return result
    }

    /// The store of `key`, empty if absent; setting an empty store removes the key.
    public subscript(key: Key) -> Store {
        get { entries[key] ?? Store() }
        set { entries[key] = newValue.isEmpty ? nil : newValue }
    }

    public func joined(_ context: CausalContext, with other: DotMap, _ otherContext: CausalContext) -> DotMap {
        // Start from this side and touch only the keys that can change: the
        // other side's keys, and ours whose dots the other side has seen.
        var result = self
        for (key, theirs) in other.entries {
            let ours = self[key]
            // Equal stores join to themselves under any contexts.
            if ours == theirs { continue }
            result[key] = ours.joined(context, with: theirs, otherContext)
        }
        for (key, ours) in entries where other.entries[key] == nil {
            if ours.dots.contains(where: otherContext.contains) {
                result[key] = ours.joined(context, with: Store(), otherContext)
            }
        }
        return result
    }
}

extension DotFunction: Codable where Value: Codable {}
extension DotMap: Codable where Key: Codable, Store: Codable {}

extension DotSet: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        encodeSet(dots, to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init(try decodeSet(from: &reader))
    }
}

extension DotFunction: BinaryCodable where Value: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        encodeDictionary(entries, to: &writer) { value, writer in value.encode(to: &writer) }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init(try decodeDictionary(from: &reader, minimumBytesEach: 3) { (reader: inout BinaryReader) throws(BinaryDecodingError) in
            try Value(from: &reader)
        })
    }
}

extension DotMap: BinaryCodable where Key: BinaryCodable, Store: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        encodeDictionary(entries, to: &writer) { store, writer in store.encode(to: &writer) }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        let entries: [Key: Store] = try decodeDictionary(from: &reader) { (reader: inout BinaryReader) throws(BinaryDecodingError) in
            try Store(from: &reader)
        }
        self.init(entries)
        guard self.entries.count == entries.count else { throw .invalidValue("key with an empty store", offset: start) }
    }
}
