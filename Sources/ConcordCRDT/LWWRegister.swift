import ConcordFoundation
import ConcordClocks

/// A last-writer-wins register (Shapiro et al. 2011, §3.2.1; Johnson and
/// Thomas, RFC 677, 1975): the write with the greatest ``LWWStamp`` wins.
///
/// Stamps come from hybrid logical clocks, so a write made after seeing
/// another (causally later) always wins over it, whatever the physical
/// clocks say; among concurrent writes the winner is arbitrary but the same
/// everywhere. Concurrent losers are discarded silently: use ``MVRegister``
/// to keep them.
public struct LWWRegister<Value: Hashable & Sendable>: StateCRDT, Hashable {
    /// The winning write: its value and stamp, or nil before any write.
    public private(set) var winner: Write?

    /// One write.
    public struct Write: Hashable, Sendable {
        /// The value written.
        public var value: Value
        /// The write's version.
        public var stamp: LWWStamp
    }

    /// An empty register.
    public init() {
        winner = nil
    }

    /// The current value, or nil before any write.
    public var value: Value? { winner?.value }

    /// Writes `value` with the stamp `timestamp` from `replica`'s hybrid
    /// logical clock. The write loses, changing nothing, if the register
    /// already holds a greater stamp. Returns the delta (the write itself).
    @discardableResult
    public mutating func assign(_ value: Value, timestamp: HybridTimestamp, at replica: ReplicaID) -> LWWRegister {
        var delta = LWWRegister()
        delta.winner = Write(value: value, stamp: LWWStamp(timestamp: timestamp, replica: replica))
        merge(delta)
        return delta
    }

    public mutating func merge(_ other: LWWRegister) {
        guard let theirs = other.winner else { return }
        // Equal stamps name the same write (see ``LWWStamp``); keep ours.
        if let ours = winner, ours.stamp >= theirs.stamp { return }
        winner = theirs
    }
}

extension LWWRegister.Write: Codable where Value: Codable {}
extension LWWRegister: Codable where Value: Codable {}

extension LWWRegister.Write: BinaryCodable where Value: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        stamp.encode(to: &writer)
        value.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let stamp = try LWWStamp(from: &reader)
        self.init(value: try Value(from: &reader), stamp: stamp)
    }
}

extension LWWRegister: BinaryCodable where Value: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        winner.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init()
        winner = try Write?(from: &reader)
    }
}
