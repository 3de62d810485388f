/// etcd's `Compare`: one condition of a transaction, on one key or on every
/// key of a range.
///
/// Semantics, as in etcd 3.4:
/// - on a range, the compare holds when it holds for every key present;
/// - when no key is present, a compare on the value fails, and any other
///   compare is made against zero (absent keys have version, create and mod
///   revision and lease 0), so `version == 0` tests that a key is absent.
public struct Compare: Sendable, Hashable {
    /// The relation between the key's field and the operand.
    public enum Result: Int, Sendable, Hashable, CaseIterable {
        /// The field equals the operand.
        case equal = 0
        /// The field is greater than the operand.
        case greater = 1
        /// The field is less than the operand.
        case less = 2
        /// The field differs from the operand.
        case notEqual = 3
    }

    /// The field compared, with the operand it is compared to (etcd's
    /// `target` and `target_union` together).
    public enum Target: Sendable, Hashable {
        /// The key's version (0 when absent).
        case version(Int64)
        /// The key's create revision (0 when absent).
        case createRevision(Int64)
        /// The key's mod revision (0 when absent).
        case modRevision(Int64)
        /// Values compare as bytes, lexicographically.
        case value([UInt8])
        /// The key's lease (0 for none, or when absent).
        case lease(Int64)
    }

    /// The relation that must hold.
    public var result: Result
    /// The field compared and its operand.
    public var target: Target
    /// The key compared (never empty).
    public var key: [UInt8]
    /// Empty for one key, `[0]` for every key from `key` on, otherwise the
    /// exclusive end of the range compared.
    public var rangeEnd: [UInt8]

    /// Creates a compare.
    public init(key: [UInt8], rangeEnd: [UInt8] = [], target: Target, result: Result) {
        self.result = result
        self.target = target
        self.key = key
        self.rangeEnd = rangeEnd
    }
}
