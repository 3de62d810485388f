/// A dotted version vector (Preguiça, Baquero, Almeida, Fonte, Gonçalves,
/// "Dotted Version Vectors: Logical Clocks for Optimistic Replication",
/// 2010): the causal history of one sibling value, written as the context
/// the writer had read plus the single new dot the server gave the write.
///
/// A plain version vector cannot express "update (r, 2) that did not see
/// (r, 1)": two writes through the same server with stale contexts would
/// look ordered. The separate dot keeps them concurrent, which is what lets
/// a server keep the right siblings (see ``SiblingSet``).
public struct DottedVersionVector: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The history the writer had seen when it wrote.
    public var context: VersionVector
    /// The write itself.
    public var dot: Dot

    /// Creates the history `context ∪ {dot}`.
    public init(context: VersionVector, dot: Dot) {
        self.context = context
        self.dot = dot
    }

    /// True when the update named by `other` is part of this history.
    public func contains(_ other: Dot) -> Bool {
        other == dot || context.contains(other)
    }

    /// True when this history contains the whole history of `other`
    /// (its dot is enough: a dot's history is part of any history that
    /// knows the dot, because contexts are downward closed).
    public func descends(from other: DottedVersionVector) -> Bool {
        contains(other.dot)
    }

    /// The history flattened to a version vector where it is contiguous:
    /// the context, with the dot folded in when it extends the context.
    public var flattened: VersionVector {
        var result = context
        result[dot.replica] = max(result[dot.replica], dot.counter)
        return result
    }

    public var description: String { "\(context)+\(dot)" }
}
