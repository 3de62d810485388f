/// Why bytes could not be decoded as a `KVCommand` or a store snapshot.
public enum KVDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes end in the middle of a value.
    case truncated
    /// The first byte names a format this version of Concord cannot read.
    case unsupportedFormatVersion(UInt8)
    /// A tag (of a command, an operation, a compare target, a sort option)
    /// has no meaning.
    case unknownTag(field: String, tag: UInt8)
    /// A flags byte has bits set that no flag uses.
    case invalidFlags(field: String, flags: UInt8)
    /// A variable-length integer is longer than ten bytes or overflows.
    case invalidVarint
    /// A length or count is larger than the bytes left could hold.
    case lengthTooLarge(UInt64)
    /// Transactions are nested deeper than `KVLimits.txnNestingDepthMax`.
    case nestingTooDeep
    /// Bytes are left over after the value.
    case trailingBytes(Int)
    /// A snapshot's content breaks an invariant of the store (keys out of
    /// order, revisions not increasing, and so on).
    case inconsistentSnapshot(String)

    public var description: String {
        switch self {
        case .truncated: "truncated input"
        case .unsupportedFormatVersion(let version): "unsupported format version \(version)"
        case .unknownTag(let field, let tag): "unknown \(field) tag \(tag)"
        case .invalidFlags(let field, let flags): "invalid \(field) flags \(flags)"
        case .invalidVarint: "invalid variable-length integer"
        case .lengthTooLarge(let length): "length \(length) exceeds the input"
        case .nestingTooDeep: "transactions nested too deeply"
        case .trailingBytes(let count): "\(count) trailing bytes"
        case .inconsistentSnapshot(let reason): "inconsistent snapshot: \(reason)"
        }
    }
}
