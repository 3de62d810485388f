import ConcordFoundation

/// The versions of one key held by a replica of a Riak-style store: the
/// concurrent sibling values, each tagged with a ``DottedVersionVector``.
///
/// The protocol (Preguiça et al. 2010, as used by Riak since 2.0):
/// - a client reads the siblings and an opaque causal context;
/// - it writes a value together with the context it read;
/// - the server drops every sibling whose dot that context covers (the
///   client has seen it, so the new value supersedes it), mints a new dot
///   after every dot of its own it knows, and adds the value as a sibling.
/// Writes made from the same context, or from stale ones, stay as concurrent
/// siblings; a write that read them all replaces them all.
///
/// Replicas of the key reconcile with ``merge(_:)``: a sibling survives
/// unless the other replica has seen its dot and no longer keeps it.
///
/// Invariant: sibling dots are unique and no sibling's dot is covered by
/// another sibling's history.
public struct SiblingSet<Value: Hashable & Sendable>: Hashable, Sendable {
    /// One version of the key.
    public struct Sibling: Hashable, Sendable {
        /// The version's causal history.
        public var clock: DottedVersionVector
        /// The value written.
        public var value: Value

        /// A version of the key: `value`, written with history `clock`.
        public init(clock: DottedVersionVector, value: Value) {
            self.clock = clock
            self.value = value
        }
    }

    /// What a read returns: the values and the context to write back with.
    public struct Read: Hashable, Sendable {
        /// The concurrent values, ordered by dot.
        public var values: [Value]
        /// The union of the siblings' histories; pass it to the next write.
        public var context: VersionVector
    }

    /// The current siblings, ordered by dot.
    public private(set) var siblings: [Sibling]

    /// A key with no value.
    public init() {
        siblings = []
    }

    /// Rebuilds a key's versions from its siblings (as stored or received),
    /// or returns nil when they break the invariant: two siblings share a
    /// dot, or one sibling's dot is covered by another's history.
    public init?(siblings: [Sibling]) {
        for (index, sibling) in siblings.enumerated() {
            for (otherIndex, other) in siblings.enumerated() where otherIndex != index {
                if other.clock.contains(sibling.clock.dot) { return nil }
            }
        }
        self.siblings = siblings.sorted { $0.clock.dot < $1.clock.dot }
    }

    /// The siblings' values and the context covering all of them.
    public func read() -> Read {
        var context = VersionVector()
        for sibling in siblings {
            context.merge(sibling.clock.flattened)
        }
        return Read(values: siblings.map(\.value), context: context)
    }

    /// Writes `value` at server `replica` on behalf of a client that read
    /// `context`. Siblings covered by the context are discarded; the new
    /// value gets a fresh dot of `replica`. Returns the new sibling's clock.
    @discardableResult
    public mutating func write(_ value: Value, context: VersionVector, at replica: ReplicaID) -> DottedVersionVector {
        var highest = context[replica]
        for sibling in siblings {
            highest = max(highest, sibling.clock.context[replica])
            if sibling.clock.dot.replica == replica {
                highest = max(highest, sibling.clock.dot.counter)
            }
        }
        precondition(highest < UInt64.max, "dot counter exhausted")
        let clock = DottedVersionVector(context: context, dot: Dot(replica: replica, counter: highest + 1))
        siblings.removeAll { context.contains($0.clock.dot) }
        siblings.append(Sibling(clock: clock, value: value))
        siblings.sort { $0.clock.dot < $1.clock.dot }
        return clock
    }

    /// Reconciles with another replica's versions of the same key: a
    /// sibling is kept when both have it, or when the other side's
    /// histories do not cover its dot (the other side has not seen it).
    public mutating func merge(_ other: SiblingSet) {
        func covered(_ dot: Dot, by set: SiblingSet) -> Bool {
            set.siblings.contains { $0.clock.contains(dot) }
        }
        var result: [Dot: Sibling] = [:]
        for sibling in siblings where !covered(sibling.clock.dot, by: other)
            || other.siblings.contains(where: { $0.clock.dot == sibling.clock.dot })
        {
            result[sibling.clock.dot] = sibling
        }
        for sibling in other.siblings where result[sibling.clock.dot] == nil && !covered(sibling.clock.dot, by: self) {
            result[sibling.clock.dot] = sibling
        }
        siblings = result.values.sorted { $0.clock.dot < $1.clock.dot }
    }
}

extension SiblingSet.Sibling: Codable where Value: Codable {}

extension SiblingSet: BinaryCodable where Value: BinaryCodable {
    /// The siblings in dot order, each as its clock then its value.
    public func encode(to writer: inout BinaryWriter) {
        writer.writeVarint(UInt64(siblings.count))
        for sibling in siblings {
            sibling.clock.encode(to: &writer)
            sibling.value.encode(to: &writer)
        }
    }

    /// Reads what `encode(to:)` wrote; rejects siblings that break the
    /// invariant.
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        let count = try reader.readCount(minimumBytesEach: 3)
        var siblings: [Sibling] = []
        siblings.reserveCapacity(count)
        for _ in 0..<count {
            let clock = try DottedVersionVector(from: &reader)
            siblings.append(Sibling(clock: clock, value: try Value(from: &reader)))
        }
        guard let set = SiblingSet(siblings: siblings) else {
            throw .invalidValue("siblings with a shared or covered dot", offset: start)
        }
        self = set
    }
}
extension SiblingSet: Codable where Value: Codable {}
