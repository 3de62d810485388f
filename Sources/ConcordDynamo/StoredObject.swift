import ConcordClocks
import ConcordCRDT

/// What a replica stores under one key: the value (``StoredValue``, one of
/// the store's kinds) and the key's ``Expiry`` beside it. Both parts are
/// join semilattices and merge independently, so the whole is one too:
/// replicas that have merged the same copies hold equal objects.
public struct StoredObject: Hashable, Sendable {
    /// The value.
    public var value: StoredValue
    /// The key's deadline.
    public var expiry: Expiry
    /// How many times a write replaced the key's value with one of an
    /// earlier kind (a string over a set, hash or counter, live or
    /// deleted, as Redis's `SET` does). Copies merge generation first: a
    /// later generation's value replaces an earlier one's whole, whatever
    /// their kinds; values of one generation merge as their kind says.
    /// Every other write keeps its base's generation.
    public var generation: UInt32

    /// A copy holding `value` with `expiry`, in `generation`.
    public init(_ value: StoredValue, expiry: Expiry = Expiry(), generation: UInt32 = 0) {
        self.value = value
        self.expiry = expiry
        self.generation = generation
    }

    /// Riak's model: dotted version vectors with siblings.
    public static func siblings(_ siblings: Siblings) -> StoredObject { StoredObject(.siblings(siblings)) }
    /// Last writer wins by hybrid logical clock.
    public static func lastWriterWins(_ value: LastWriterWinsValue) -> StoredObject { StoredObject(.lastWriterWins(value)) }
    /// A PN-counter.
    public static func counter(_ counter: PNCounter) -> StoredObject { StoredObject(.counter(counter)) }
    /// An add-wins observed-remove set.
    public static func set(_ set: ORSet<ByteString>) -> StoredObject { StoredObject(.set(set)) }
    /// A map of multi-value registers.
    public static func map(_ map: CRDTMap) -> StoredObject { StoredObject(.map(map)) }
    /// A multi-value register.
    public static func register(_ register: MVRegister<ByteString>) -> StoredObject { StoredObject(.register(register)) }
    /// An enable-wins flag.
    public static func flag(_ flag: EnableWinsFlag) -> StoredObject { StoredObject(.flag(flag)) }

    /// The value's kind.
    public var kind: ObjectKind { value.kind }

    /// Joins `other` into this object.
    public mutating func merge(_ other: StoredObject) {
        merge(other, dropsConcurrentSibling: false)
    }

    /// Joins `other`; see ``StoredValue/merge(_:dropsConcurrentSibling:)``.
    mutating func merge(_ other: StoredObject, dropsConcurrentSibling: Bool) {
        if other.generation > generation {
            value = other.value
            generation = other.generation
        } else if other.generation == generation {
            value.merge(other.value, dropsConcurrentSibling: dropsConcurrentSibling)
        }
        expiry.merge(other.expiry)
    }

    /// The object after merging `other`.
    public func merging(_ other: StoredObject) -> StoredObject {
        var result = self
        result.merge(other)
        return result
    }

    /// The value's dependencies (causal mode).
    public var dependencies: [Dependency] { value.dependencies }

    /// The value's version (see ``StoredValue/version``). Changes of the
    /// expiry alone do not move it: session guarantees cover values.
    /// Where the copy stands among copies that replace one another whole:
    /// its generation, then its kind (a later kind replaces an earlier one
    /// of the same generation whole). Versions compare only within a stage.
    public var stage: UInt64 { UInt64(generation) << 8 | UInt64(kind.rawValue) }

    public var version: VersionVector { value.version }

    /// Whether the value shows nothing (see ``StoredValue/isTombstone``).
    public var isTombstone: Bool { value.isTombstone }

    /// What a read of the value returns, ignoring the expiry.
    public var readValue: ReadValue { value.readValue }

    /// Whether the key is expired at `now` (milliseconds of the Unix epoch).
    public func hasExpired(at now: Int64) -> Bool { expiry.hasExpired(at: now) }

    /// What a read at `now` returns: absent once expired.
    public func readValue(at now: Int64) -> ReadValue {
        hasExpired(at: now) ? .absent : value.readValue
    }
}
