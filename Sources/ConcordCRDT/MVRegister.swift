import ConcordFoundation
import ConcordClocks

/// A multi-value register (Shapiro et al. 2011, §3.2.2; as the dotted
/// delta CRDT of Almeida et al. 2018, §7.3): a write replaces every value it
/// has observed; writes that did not observe each other are all kept, and a
/// read returns every one of them (like Riak's siblings or Dynamo's
/// shopping cart versions), for the application to resolve with its next
/// write.
public struct MVRegister<Value: Hashable & Sendable>: CausalCRDT, Hashable {
    /// The live dots: each live write (dot) to its value.
    public private(set) var store: DotFunction<Value>
    /// Every dot this replica has seen, live or removed.
    public private(set) var context: CausalContext

    /// The state `(store, context)`; every dot of `store` must be in `context`.
    public init(store: DotFunction<Value>, context: CausalContext) {
        self.store = store
        self.context = context
    }

    /// Every concurrent value, ordered by the dot that wrote it.
    public var values: [Value] {
        store.entries.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Replica `replica` writes `value`, replacing every value observed
    /// here. Returns the delta.
    @discardableResult
    public mutating func assign(_ value: Value, at replica: ReplicaID) -> MVRegister {
        let dot = context.nextDot(for: replica)
        let delta = MVRegister(
            store: DotFunction([dot: value]),
            context: CausalContext(dots: store.dots.union([dot])))
        store = DotFunction([dot: value])
        context.insert(dot)
        return delta
    }

    /// Clears the register: removes every value observed here. Returns the delta.
    @discardableResult
    public mutating func reset() -> MVRegister {
        let delta = MVRegister(store: DotFunction(), context: CausalContext(dots: store.dots))
        store = DotFunction()
        return delta
    }
}

extension MVRegister: Codable where Value: Codable {}

extension MVRegister: BinaryCodable where Value: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        context.encode(to: &writer)
        store.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let context = try CausalContext(from: &reader)
        let start = reader.offset
        let store = try DotFunction<Value>(from: &reader)
        guard store.dots.allSatisfy(context.contains) else {
            throw .invalidValue("store dot outside the causal context", offset: start)
        }
        self.init(store: store, context: context)
    }
}
