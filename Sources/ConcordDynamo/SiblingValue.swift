import ConcordFoundation

/// What one sibling holds: the value written (nil for a deletion) and, for
/// a causal write, the dependencies it was written after.
///
/// Keeping dependencies with each version is COPS's design (Lloyd et al.
/// 2011, §4): a reader inherits them into its session's causal past, so
/// that its own writes supersede every write of the key in that past, even
/// one it only knows of through another key.
public struct SiblingValue: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The value, or nil for a deletion.
    public var bytes: ByteString?
    /// The causal write's dependencies (empty outside causal mode).
    public var dependencies: [Dependency]

    /// A sibling's content.
    public init(_ bytes: ByteString?, dependencies: [Dependency] = []) {
        self.bytes = bytes
        self.dependencies = dependencies
    }

    /// A value written outside causal mode.
    public init(stringLiteral value: String) {
        self.init(ByteString(value))
    }

    /// A deletion outside causal mode.
    public static let deletion = SiblingValue(nil)

    /// True for a deletion.
    public var isDeletion: Bool { bytes == nil }

    public var description: String { bytes?.description ?? "(deleted)" }
}

extension SiblingValue: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        bytes.encode(to: &writer)
        encodeList(dependencies, to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let bytes = try ByteString?(from: &reader)
        self.init(bytes, dependencies: try decodeList(from: &reader))
    }
}
