import ConcordFoundation
import ConcordClocks

/// A two-phase set (Shapiro et al. 2011, §3.3.2): a grow-only set of added
/// elements and a grow-only set of removed ones (tombstones). An element is
/// present when added and not removed; once removed it can never come back,
/// not even by a later or concurrent add. See ``ORSet`` for a set that
/// allows re-adding.
public struct TwoPhaseSet<Element: Hashable & Sendable>: StateCRDT, Hashable {
    /// Every element ever added.
    public private(set) var added: Set<Element>
    /// Every element ever removed (tombstones, kept forever).
    public private(set) var removed: Set<Element>

    /// An empty set.
    public init() {
        added = []
        removed = []
    }

    /// A set with these two halves.
    public init(added: Set<Element>, removed: Set<Element>) {
        self.added = added
        self.removed = removed
    }

    /// The elements present: added and not removed.
    public var elements: Set<Element> {
        added.subtracting(removed)
    }

    /// True when `element` is present.
    public func contains(_ element: Element) -> Bool {
        added.contains(element) && !removed.contains(element)
    }

    /// Adds `element` (without effect if it was ever removed). Returns the delta.
    @discardableResult
    public mutating func insert(_ element: Element) -> TwoPhaseSet {
        added.insert(element)
        return TwoPhaseSet(added: [element], removed: [])
    }

    /// Removes `element` if present; removing an absent element does
    /// nothing (the 2P-Set precondition). Returns the delta.
    @discardableResult
    public mutating func remove(_ element: Element) -> TwoPhaseSet {
        guard contains(element) else { return TwoPhaseSet() }
        removed.insert(element)
        return TwoPhaseSet(added: [], removed: [element])
    }

    public mutating func merge(_ other: TwoPhaseSet) {
        added.formUnion(other.added)
        removed.formUnion(other.removed)
    }
}

extension TwoPhaseSet: Codable where Element: Codable {}

extension TwoPhaseSet: BinaryCodable where Element: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        encodeSet(added, to: &writer)
        encodeSet(removed, to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init(added: try decodeSet(from: &reader), removed: try decodeSet(from: &reader))
    }
}
