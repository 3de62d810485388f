import ConcordClocks
import ConcordCRDT

/// An increment of a key that holds a string: Redis continues from the
/// integer the string holds (`SET n 10`, `INCR n` gives 11) and refuses a
/// string that is not one.
extension DynamoNode {
    /// The counter a string-holding `object` becomes: the string's value (the
    /// greatest sibling, the one GET shows) credited to an actor named after
    /// the string's version, or ``DynamoRequestError/notAnInteger``.
    ///
    /// Two coordinators converting the same version of the string
    /// concurrently credit the same amount to the same actor, which a
    /// PN-counter's merge counts once: `INCR` on two members of a key
    /// holding "10" gives 12 once they merge, not 22. The actor is a hash of
    /// the version with its top bit set; a member's actor (``Actor``) could
    /// only equal it by a 64-bit hash collision.
    static func counter(startingFrom object: StoredObject) -> Result<PNCounter, DynamoRequestError> {
        var counter = PNCounter()
        guard let text = object.readValue.values.max() else { return .success(counter) }
        guard let start = parseInteger(text.bytes) else { return .failure(.notAnInteger) }
        var digest = Digest()
        digest.combine(object.version)
        let origin = ReplicaID(digest.value | (1 << 63))
        if start > 0 {
            counter.increment(by: UInt64(start), at: origin)
        } else if start < 0 {
            counter.decrement(by: start.magnitude, at: origin)
        }
        return .success(counter)
    }

    /// Reads an integer as Redis's `string2ll` does: an optional `-`, then
    /// digits without a leading zero, at most 20 bytes, within 64 bits.
    public static func parseInteger(_ bytes: [UInt8]) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        let negative = bytes[0] == UInt8(ascii: "-")
        let digits = negative ? bytes.dropFirst() : bytes[...]
        guard let first = digits.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return nil }
        if first == UInt8(ascii: "0") { return digits.count == 1 && !negative ? 0 : nil }
        var magnitude: UInt64 = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (times, overflowTimes) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflowTimes, !overflowSum else { return nil }
            magnitude = sum
        }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }
}
