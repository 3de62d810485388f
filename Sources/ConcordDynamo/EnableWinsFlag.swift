import ConcordFoundation
import ConcordClocks
import ConcordCRDT

/// An enable-wins flag (Almeida et al., "Delta State Replicated Data
/// Types", 2018, §7.1; Riak's map flags): enabling adds a fresh dot,
/// disabling removes the dots observed. An enable concurrent with a disable
/// survives, because the disable did not observe its dot.
public struct EnableWinsFlag: CausalCRDT, Hashable {
    /// The live enable dots.
    public private(set) var store: DotSet
    /// Every dot seen.
    public private(set) var context: CausalContext

    /// The state `(store, context)`; every dot of `store` must be in `context`.
    public init(store: DotSet, context: CausalContext) {
        self.store = store
        self.context = context
    }

    /// True while some enable is live.
    public var isEnabled: Bool { !store.isEmpty }

    /// Replica `replica` enables the flag. Returns the delta.
    @discardableResult
    public mutating func enable(at replica: ReplicaID) -> EnableWinsFlag {
        let dot = context.nextDot(for: replica)
        let delta = EnableWinsFlag(store: DotSet([dot]), context: CausalContext(dots: store.dots.union([dot])))
        store = DotSet([dot])
        context.insert(dot)
        return delta
    }

    /// Disables the flag: removes the enables observed here. Returns the delta.
    @discardableResult
    public mutating func disable() -> EnableWinsFlag {
        let delta = EnableWinsFlag(store: DotSet(), context: CausalContext(dots: store.dots))
        store = DotSet()
        return delta
    }
}

extension EnableWinsFlag: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        context.encode(to: &writer)
        store.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let context = try CausalContext(from: &reader)
        let start = reader.offset
        let store = try DotSet(from: &reader)
        guard store.dots.allSatisfy(context.contains) else {
            throw .invalidValue("store dot outside the causal context", offset: start)
        }
        self.init(store: store, context: context)
    }
}
