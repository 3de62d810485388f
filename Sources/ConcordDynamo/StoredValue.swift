import ConcordClocks
import ConcordCRDT

/// The sibling form of a key: concurrent versions, each a value or a
/// deletion, tagged with dotted version vectors.
public typealias Siblings = SiblingSet<SiblingValue>

/// The map CRDT of the store: fields to multi-value registers (Riak's map,
/// Redis hashes).
public typealias CRDTMap = ORMap<ByteString, MVRegister<ByteString>>

/// The kind of a stored object, in the order that settles a conflict
/// between kinds (see ``StoredValue/merge(_:)``).
public enum ObjectKind: UInt8, Hashable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case siblings = 1
    case lastWriterWins = 2
    case counter = 3
    case set = 4
    case map = 5
    case register = 6
    case flag = 7

    public static func < (lhs: ObjectKind, rhs: ObjectKind) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .siblings: "siblings"
        case .lastWriterWins: "last-writer-wins"
        case .counter: "counter"
        case .set: "set"
        case .map: "map"
        case .register: "register"
        case .flag: "flag"
        }
    }
}

/// The value part of a stored copy: a join semilattice in every kind, so
/// replicas that have merged the same copies hold equal values.
///
/// Two copies of different kinds (written concurrently as different types)
/// resolve to the kind later in ``ObjectKind``'s order, whole: within one
/// ``StoredObject/generation`` the type of a key can only move forward in
/// that order. An update of an earlier kind is refused once the coordinator
/// sees a later one (``DynamoRequestError/wrongType(_:)``); a put of one
/// starts the key's next generation instead.
public enum StoredValue: Hashable, Sendable {
    /// Riak's model: dotted version vectors with siblings.
    case siblings(Siblings)
    /// Last writer wins by hybrid logical clock.
    case lastWriterWins(LastWriterWinsValue)
    /// A PN-counter.
    case counter(PNCounter)
    /// An add-wins observed-remove set.
    case set(ORSet<ByteString>)
    /// A map of multi-value registers.
    case map(CRDTMap)
    /// A multi-value register.
    case register(MVRegister<ByteString>)
    /// An enable-wins flag.
    case flag(EnableWinsFlag)

    /// The object's kind.
    public var kind: ObjectKind {
        switch self {
        case .siblings: .siblings
        case .lastWriterWins: .lastWriterWins
        case .counter: .counter
        case .set: .set
        case .map: .map
        case .register: .register
        case .flag: .flag
        }
    }

    /// Joins `other` into this object.
    public mutating func merge(_ other: StoredValue) {
        merge(other, dropsConcurrentSibling: false)
    }

    /// Joins `other`; with `dropsConcurrentSibling` (the bug switch
    /// ``DynamoBug/mergeDropsSibling``) siblings are compared by flattened
    /// version vectors instead of their dots, the mistake dotted version
    /// vectors exist to prevent.
    mutating func merge(_ other: StoredValue, dropsConcurrentSibling: Bool) {
        if other.kind != kind {
            if other.kind > kind { self = other }
            return
        }
        switch (self, other) {
        case (.siblings(var mine), .siblings(let theirs)):
            if dropsConcurrentSibling {
                mine = Self.mergeByFlattenedVectors(mine, theirs)
            } else {
                mine.merge(theirs)
            }
            self = .siblings(mine)
        case (.lastWriterWins(var mine), .lastWriterWins(let theirs)):
            mine.merge(theirs)
            self = .lastWriterWins(mine)
        case (.counter(var mine), .counter(let theirs)):
            mine.merge(theirs)
            self = .counter(mine)
        case (.set(var mine), .set(let theirs)):
            mine.merge(theirs)
            self = .set(mine)
        case (.map(var mine), .map(let theirs)):
            mine.merge(theirs)
            self = .map(mine)
        case (.register(var mine), .register(let theirs)):
            mine.merge(theirs)
            self = .register(mine)
        case (.flag(var mine), .flag(let theirs)):
            mine.merge(theirs)
            self = .flag(mine)
        default:
            preconditionFailure("kinds checked above")
        }
    }

    /// The bug: a sibling is dropped when another copy's flattened vector
    /// counts past its dot, even if that copy never saw it.
    static func mergeByFlattenedVectors(_ mine: Siblings, _ theirs: Siblings) -> Siblings {
        let all = mine.siblings + theirs.siblings.filter { sibling in
            !mine.siblings.contains { $0.clock.dot == sibling.clock.dot }
        }
        let kept = all.filter { sibling in
            !all.contains { other in
                other.clock.dot != sibling.clock.dot && other.clock.flattened.contains(sibling.clock.dot)
            }
        }
        return Siblings(siblings: kept) ?? mine
    }

    /// The dependencies of the visible siblings (causal mode), by key.
    public var dependencies: [Dependency] {
        guard case .siblings(let siblings) = self else { return [] }
        return siblings.siblings.flatMap(\.value.dependencies)
    }

    /// Every update merged in, as a version vector: what a session token
    /// compares against (see ``SessionToken``). A copy *covers* a version
    /// when its own version is at or above it in every entry.
    public var version: VersionVector {
        switch self {
        case .siblings(let siblings): siblings.read().context
        case .lastWriterWins(let value): value.seen
        case .counter(let counter):
            // Each actor's increments and decrements only grow, and copies
            // travel whole, so their sum orders an actor's states.
            VersionVector(counter.increments.entries.merging(counter.decrements.entries) { first, second in
                let (sum, overflow) = first.addingReportingOverflow(second)
                return overflow ? UInt64.max : sum
            })
        case .set(let set): set.context.versionVector
        case .map(let map): map.context.versionVector
        case .register(let register): register.context.versionVector
        case .flag(let flag): flag.context.versionVector
        }
    }

    /// True when nothing is visible: every sibling is a deletion, the
    /// last write deleted, or the collection, register or flag is empty.
    /// Such a value is a tombstone, collected once every member has it
    /// (see docs/dynamo.md). Counters are never tombstones (a deleted
    /// counter is marked by its ``Expiry``).
    public var isTombstone: Bool {
        switch self {
        case .siblings(let siblings): siblings.siblings.allSatisfy { $0.value.isDeletion }
        case .lastWriterWins(let value): value.value == nil
        case .counter: false
        case .set(let set): set.store.isEmpty
        case .map(let map): map.store.isEmpty
        case .register(let register): register.store.isEmpty
        case .flag(let flag): flag.store.isEmpty
        }
    }

    /// What a read of this object returns.
    public var readValue: ReadValue {
        switch self {
        case .siblings(let siblings):
            let values = siblings.siblings.compactMap(\.value.bytes)
            let deleted = siblings.siblings.contains { $0.value.isDeletion }
            return values.isEmpty ? .absent : .siblings(values, includesDeletion: deleted)
        case .lastWriterWins(let value):
            return value.value.map { .value($0) } ?? .absent
        case .counter(let counter):
            return .counter(counter.value)
        case .set(let set):
            return set.store.isEmpty ? .absent : .set(set.elements.sorted())
        case .map(let map):
            guard !map.store.isEmpty else { return .absent }
            let fields = map.keys.sorted().map { field in
                MapField(field: field, values: map[field].map { Array($0.values) } ?? [])
            }
            return .map(fields)
        case .register(let register):
            return register.store.isEmpty ? .absent : .register(register.values)
        case .flag(let flag):
            return .flag(flag.isEnabled)
        }
    }
}
