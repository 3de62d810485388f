import ConcordFoundation
import ConcordClocks

/// A counter that goes up and down (Shapiro et al. 2011, §3.1.2): two
/// grow-only counters, one for increments and one for decrements; the value
/// is their difference.
public struct PNCounter: StateCRDT, Hashable, Codable {
    /// Everything added.
    public private(set) var increments: GCounter
    /// Everything subtracted.
    public private(set) var decrements: GCounter

    /// A counter at zero.
    public init() {
        increments = GCounter()
        decrements = GCounter()
    }

    /// A counter made of these two halves.
    public init(increments: GCounter, decrements: GCounter) {
        self.increments = increments
        self.decrements = decrements
    }

    /// Increments minus decrements, clamped to the range of `Int64`.
    public var value: Int64 {
        Int64(clamping: Int128(increments.value) - Int128(decrements.value))
    }

    /// Replica `replica` adds `amount`. Returns the delta.
    @discardableResult
    public mutating func increment(by amount: UInt64 = 1, at replica: ReplicaID) -> PNCounter {
        PNCounter(increments: increments.increment(by: amount, at: replica), decrements: GCounter())
    }

    /// Replica `replica` subtracts `amount`. Returns the delta.
    @discardableResult
    public mutating func decrement(by amount: UInt64 = 1, at replica: ReplicaID) -> PNCounter {
        PNCounter(increments: GCounter(), decrements: decrements.increment(by: amount, at: replica))
    }

    public mutating func merge(_ other: PNCounter) {
        increments.merge(other.increments)
        decrements.merge(other.decrements)
    }
}

extension PNCounter: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        increments.encode(to: &writer)
        decrements.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init(increments: try GCounter(from: &reader), decrements: try GCounter(from: &reader))
    }
}
