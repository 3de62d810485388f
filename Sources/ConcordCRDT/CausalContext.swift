import ConcordFoundation
import ConcordClocks

/// The set of every update (dot) a replica has seen, kept compact: a
/// version vector for the contiguous prefix of each replica's dots, plus a
/// "dot cloud" of the dots seen out of order (Almeida et al. 2018, §6).
///
/// Causal CRDTs (``ORSet``, ``MVRegister``, ``ORMap``) use it to tell
/// "this element was removed" (its dot is in the context but not in the
/// store) from "I have not heard of it yet" (its dot is not in the context)
/// without keeping tombstones: a removal leaves nothing behind but the dots
/// in the context, and those fold into the version vector as soon as the
/// gaps before them fill.
///
/// Invariant (canonical form): no cloud dot is covered by the version
/// vector or extends it, so equal sets of dots have equal values.
public struct CausalContext: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The contiguous prefix of each replica's dots.
    public private(set) var versionVector: VersionVector
    /// Dots seen beyond a gap.
    public private(set) var dotCloud: Set<Dot>

    /// The context of a replica that has seen nothing.
    public init() {
        versionVector = VersionVector()
        dotCloud = []
    }

    /// The context holding exactly `dots`.
    public init(dots: some Sequence<Dot>) {
        versionVector = VersionVector()
        dotCloud = Set(dots)
        compact()
    }

    /// The context holding a version vector's prefix and the given cloud.
    public init(versionVector: VersionVector, dotCloud: Set<Dot> = []) {
        self.versionVector = versionVector
        self.dotCloud = dotCloud
        compact()
    }

    /// True when the update `dot` has been seen.
    public func contains(_ dot: Dot) -> Bool {
        versionVector.contains(dot) || dotCloud.contains(dot)
    }

    /// The next unused dot of `replica`. Replicas mint dots only for
    /// themselves, so their own dots are always contiguous.
    public func nextDot(for replica: ReplicaID) -> Dot {
        var highest = versionVector[replica]
        for dot in dotCloud where dot.replica == replica {
            highest = max(highest, dot.counter)
        }
        precondition(highest < UInt64.max, "dot counter exhausted")
        return Dot(replica: replica, counter: highest + 1)
    }

    /// Records that `dot` has been seen.
    public mutating func insert(_ dot: Dot) {
        if versionVector.contains(dot) { return }
        dotCloud.insert(dot)
        compact()
    }

    /// The union of both contexts.
    public mutating func merge(_ other: CausalContext) {
        versionVector.merge(other.versionVector)
        dotCloud.formUnion(other.dotCloud)
        compact()
    }

    /// The union of both contexts.
    public func merging(_ other: CausalContext) -> CausalContext {
        var result = self
        result.merge(other)
        return result
    }

    /// Folds every cloud dot that extends the version vector into it and
    /// drops those it already covers.
    mutating func compact() {
        guard !dotCloud.isEmpty else { return }
        var remaining: Set<Dot> = []
        for dot in dotCloud.sorted() {
            if versionVector.add(dot) { continue }
            remaining.insert(dot)
        }
        dotCloud = remaining
    }

    public var description: String {
        dotCloud.isEmpty ? "\(versionVector)" : "\(versionVector)+\(dotCloud.sorted())"
    }
}

extension CausalContext: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        versionVector.encode(to: &writer)
        writer.writeVarint(UInt64(dotCloud.count))
        for dot in dotCloud.sorted() {
            dot.encode(to: &writer)
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let versionVector = try VersionVector(from: &reader)
        let start = reader.offset
        let count = try reader.readCount(minimumBytesEach: 2)
        var cloud = Set<Dot>(minimumCapacity: count)
        for _ in 0..<count {
            cloud.insert(try Dot(from: &reader))
        }
        self.init(versionVector: versionVector, dotCloud: cloud)
        guard self.dotCloud.count == count else {
            throw .invalidValue("causal context not in compact form", offset: start)
        }
    }
}
