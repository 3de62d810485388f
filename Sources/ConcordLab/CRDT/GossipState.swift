import ConcordFoundation
import ConcordClocks
import ConcordCRDT

/// What the replicas of the `crdt-gossip` scenario replicate: a grow-only
/// counter, a counter that goes up and down, and an add-wins set, joined
/// component by component.
public struct GossipState: StateCRDT, Hashable, BinaryCodable {
    /// Increments only.
    public var counter = GCounter()
    /// Increments and decrements.
    public var balance = PNCounter()
    /// Tags added and removed.
    public var tags = ORSet<UInt64>()

    public init() {}

    /// A state made of these three parts.
    public init(counter: GCounter, balance: PNCounter, tags: ORSet<UInt64>) {
        self.counter = counter
        self.balance = balance
        self.tags = tags
    }

    public mutating func merge(_ other: GossipState) {
        counter.merge(other.counter)
        balance.merge(other.balance)
        tags.merge(other.tags)
    }

    public func encode(to writer: inout BinaryWriter) {
        counter.encode(to: &writer)
        balance.encode(to: &writer)
        tags.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        counter = try GCounter(from: &reader)
        balance = try PNCounter(from: &reader)
        tags = try ORSet(from: &reader)
    }
}
