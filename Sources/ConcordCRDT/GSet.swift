import ConcordFoundation
import ConcordClocks

/// A grow-only set (Shapiro et al. 2011, §3.3.1): elements are added, never
/// removed; the join is the union.
public struct GSet<Element: Hashable & Sendable>: StateCRDT, Hashable {
    /// The elements.
    public private(set) var elements: Set<Element>

    /// An empty set.
    public init() {
        elements = []
    }

    /// A set holding `elements`.
    public init(_ elements: Set<Element>) {
        self.elements = elements
    }

    /// True when `element` has been added.
    public func contains(_ element: Element) -> Bool {
        elements.contains(element)
    }

    /// Adds `element`. Returns the delta: the singleton set.
    @discardableResult
    public mutating func insert(_ element: Element) -> GSet {
        elements.insert(element)
        return GSet([element])
    }

    public mutating func merge(_ other: GSet) {
        elements.formUnion(other.elements)
    }
}

extension GSet: Codable where Element: Codable {}

extension GSet: BinaryCodable where Element: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        encodeSet(elements, to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init(try decodeSet(from: &reader))
    }
}
