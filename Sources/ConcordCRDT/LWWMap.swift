import ConcordFoundation
import ConcordClocks

/// A map whose keys are last-writer-wins registers: each key holds the value
/// of its write with the greatest ``LWWStamp``; a removal is a write of "no
/// value" (a tombstone), so a remove and a put of one key resolve like any
/// two writes.
///
/// Tombstones are kept: dropping one would let an older put that arrives
/// late bring the key back. (The ``ORMap`` forgets removed keys entirely,
/// at the price of carrying dots.)
public struct LWWMap<Key: Hashable & Sendable, Value: Hashable & Sendable>: StateCRDT, Hashable {
    /// Every key ever written, with its winning write (nil value: removed).
    public private(set) var registers: [Key: LWWRegister<Value?>]

    /// An empty map.
    public init() {
        registers = [:]
    }

    /// The value of `key`, nil if absent or removed.
    public subscript(key: Key) -> Value? {
        registers[key]?.value ?? nil
    }

    /// The present keys and their values.
    public var values: [Key: Value] {
        registers.compactMapValues { $0.value ?? nil }
    }

    /// Writes `value` at `key`. Returns the delta.
    @discardableResult
    public mutating func set(_ key: Key, to value: Value, timestamp: HybridTimestamp, at replica: ReplicaID) -> LWWMap {
        write(key, value, timestamp: timestamp, at: replica)
    }

    /// Removes `key` by writing a tombstone. Returns the delta.
    @discardableResult
    public mutating func remove(_ key: Key, timestamp: HybridTimestamp, at replica: ReplicaID) -> LWWMap {
        write(key, nil, timestamp: timestamp, at: replica)
    }

    private mutating func write(_ key: Key, _ value: Value?, timestamp: HybridTimestamp, at replica: ReplicaID) -> LWWMap {
        var register = LWWRegister<Value?>()
        register.assign(value, timestamp: timestamp, at: replica)
        var delta = LWWMap()
        delta.registers[key] = register
        merge(delta)
        return delta
    }

    public mutating func merge(_ other: LWWMap) {
        for (key, register) in other.registers where register.winner != nil {
            registers[key, default: LWWRegister()].merge(register)
        }
    }
}

extension LWWMap: Codable where Key: Codable, Value: Codable {}

extension LWWMap: BinaryCodable where Key: BinaryCodable, Value: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        encodeDictionary(registers, to: &writer) { register, writer in register.encode(to: &writer) }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init()
        registers = try decodeDictionary(from: &reader) { (reader: inout BinaryReader) throws(BinaryDecodingError) in
            let start = reader.offset
            let register = try LWWRegister<Value?>(from: &reader)
            guard register.winner != nil else { throw .invalidValue("key without a write", offset: start) }
            return register
        }
    }
}
