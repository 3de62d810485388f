import ConcordFoundation
import ConcordClocks

/// A grow-only counter (Shapiro, Preguiça, Baquero, Zawirski, "A
/// comprehensive study of Convergent and Commutative Replicated Data
/// Types", 2011, §3.1.1): one entry per replica, each incremented only by
/// its owner; the value is their sum and the join is the pointwise maximum.
///
/// A delta is the single entry the increment changed.
public struct GCounter: StateCRDT, Hashable, Codable {
    /// How much each replica has added.
    public private(set) var entries: [ReplicaID: UInt64]

    /// A counter at zero.
    public init() {
        entries = [:]
    }

    /// A counter with these per-replica totals (zero entries dropped).
    public init(entries: [ReplicaID: UInt64]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    /// The counter's value: the sum of all entries (saturating at `UInt64.max`).
    public var value: UInt64 {
        var total: UInt64 = 0
        for amount in entries.values {
            let (sum, overflow) = total.addingReportingOverflow(amount)
            total = overflow ? UInt64.max : sum
        }
        return total
    }

    /// Replica `replica` adds `amount`. Returns the delta.
    @discardableResult
    public mutating func increment(by amount: UInt64 = 1, at replica: ReplicaID) -> GCounter {
        guard amount > 0 else { return GCounter() }
        let (total, overflow) = (entries[replica] ?? 0).addingReportingOverflow(amount)
        precondition(!overflow, "counter entry of \(replica) overflowed")
        entries[replica] = total
        return GCounter(entries: [replica: total])
    }

    public mutating func merge(_ other: GCounter) {
        for (replica, amount) in other.entries where amount > (entries[replica] ?? 0) {
            entries[replica] = amount
        }
    }
}

extension GCounter: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        VersionVector(entries).encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init(entries: try VersionVector(from: &reader).entries)
    }
}
