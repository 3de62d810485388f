/// One RESP reply (RESP2 and RESP3), as a value.
///
/// RESP3 types that RESP2 lacks are kept as such here; the encoder renders
/// them for the connection's version (see ``RESPValue/encoded(for:)``).
public indirect enum RESPValue: Hashable, Sendable {
    /// `+text`: a short status line (no CR or LF).
    case simpleString(String)
    /// `-CODE message`: an error; `message` starts with its code (`ERR`,
    /// `WRONGTYPE`, …), as Redis writes it.
    case error(String)
    /// `:n`.
    case integer(Int64)
    /// `$len` and bytes: a binary-safe string.
    case bulkString([UInt8])
    /// A missing value: `$-1` in RESP2, `_` in RESP3.
    case null
    /// A missing collection: `*-1` in RESP2, `_` in RESP3.
    case nullArray
    /// `*n` and n values.
    case array([RESPValue])
    /// `%n` and n key-value pairs (RESP3); a flat array of 2n values in RESP2.
    case map([RESPPair])
    /// `~n` (RESP3); an array in RESP2.
    case set([RESPValue])
    /// `,d` (RESP3); a bulk string in RESP2.
    case double(Double)
    /// `#t`/`#f` (RESP3); the integer 1 or 0 in RESP2.
    case boolean(Bool)
    /// `(digits` (RESP3); a bulk string in RESP2.
    case bigNumber(String)
    /// `=len` with a three-letter format (`txt`, `mkd`) (RESP3); a bulk
    /// string of the text alone in RESP2.
    case verbatim(format: String, text: [UInt8])
    /// `>n`: out-of-band data (RESP3); an array in RESP2.
    case push([RESPValue])

    /// `+OK`.
    public static let ok = RESPValue.simpleString("OK")

    /// A bulk string holding the UTF-8 bytes of `text`.
    public static func bulk(_ text: String) -> RESPValue { .bulkString(Array(text.utf8)) }

    /// True for an error reply.
    public var isError: Bool {
        if case .error = self { return true }
        return false
    }
}

/// One entry of a RESP3 map.
public struct RESPPair: Hashable, Sendable {
    /// The key.
    public var key: RESPValue
    /// The value.
    public var value: RESPValue

    /// An entry.
    public init(_ key: RESPValue, _ value: RESPValue) {
        self.key = key
        self.value = value
    }
}

/// The protocol a connection speaks: RESP2 until the client asks for RESP3
/// with `HELLO 3`.
public enum RESPVersion: Int, Hashable, Sendable {
    case resp2 = 2
    case resp3 = 3
}
