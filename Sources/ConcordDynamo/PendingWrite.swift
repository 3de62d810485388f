import ConcordFoundation
import ConcordClocks

/// A causal write a replica holds but does not show yet: it becomes
/// visible (merged into the replica's copy) once every dependency is
/// *visible*, that is covered by the visible copy of every preferred
/// replica of the dependency's key (COPS's `dep_check`, Lloyd et al. 2011,
/// §4.2, with "the local cluster's owner" read as "every preferred
/// replica", so that a reader at R = 1 anywhere sees the dependency).
///
/// `object` is the coordinator's copy with the write merged in: the
/// coordinator's visible copy and the pending writes it held before, whose
/// dependencies are folded into `dependencies`, so that showing this write
/// shows nothing whose dependencies are missing.
public struct PendingWrite: Hashable, Sendable {
    /// The copy to merge in once visible.
    public var object: StoredObject
    /// What must be visible first.
    public var dependencies: [Dependency]

    /// A pending write.
    public init(object: StoredObject, dependencies: [Dependency]) {
        self.object = object
        self.dependencies = dependencies
    }

    /// The write's version (its copy's).
    public var version: VersionVector { object.version }
}

extension PendingWrite: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        object.encode(to: &writer)
        writer.writeVarint(UInt64(dependencies.count))
        for dependency in dependencies { dependency.encode(to: &writer) }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let object = try StoredObject(from: &reader)
        let count = try reader.readCount(minimumBytesEach: 2)
        var dependencies: [Dependency] = []
        dependencies.reserveCapacity(count)
        for _ in 0..<count { dependencies.append(try Dependency(from: &reader)) }
        self.init(object: object, dependencies: dependencies)
    }
}
