import ConcordFoundation
import ConcordClocks
import ConcordCRDT

/// A key in last-writer-wins mode: the write with the greatest hybrid
/// logical timestamp (ties broken by actor) wins; a deletion is a write of
/// no value. Concurrent losers are dropped, which is the mode's known cost
/// (Cassandra's model; see docs/dynamo.md for the lesson under clock skew).
///
/// `seen` records the dot of every write merged in, so that a session
/// token can tell whether a replica has caught up, as with the other modes.
public struct LastWriterWinsValue: Hashable, Sendable {
    /// The winning write.
    public private(set) var register: LWWRegister<ByteString?>
    /// Every write merged in, as dots.
    public private(set) var seen: VersionVector

    /// A key with no write yet.
    public init() {
        register = LWWRegister()
        seen = VersionVector()
    }

    /// A key holding `register` after the writes `seen`.
    public init(register: LWWRegister<ByteString?>, seen: VersionVector) {
        self.register = register
        self.seen = seen
    }

    /// The winning value (nil: deleted or never written).
    public var value: ByteString? { register.value ?? nil }

    /// The winning write's stamp.
    public var stamp: LWWStamp? { register.winner?.stamp }

    /// Writes `value` (nil: deletes) as actor `actor` at `timestamp`, taking
    /// the actor's next dot. Returns the dot.
    @discardableResult
    public mutating func write(_ value: ByteString?, timestamp: HybridTimestamp, actor: ReplicaID) -> Dot {
        register.assign(value, timestamp: timestamp, at: actor)
        return seen.increment(actor)
    }

    /// Joins another replica's copy.
    public mutating func merge(_ other: LastWriterWinsValue) {
        register.merge(other.register)
        seen.merge(other.seen)
    }
}

extension LastWriterWinsValue: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        register.encode(to: &writer)
        seen.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let register = try LWWRegister<ByteString?>(from: &reader)
        self.init(register: register, seen: try VersionVector(from: &reader))
    }
}
