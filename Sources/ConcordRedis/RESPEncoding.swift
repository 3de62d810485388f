extension RESPValue {
    /// The bytes of this reply for a connection speaking `version`.
    ///
    /// RESP2 has no maps, sets, doubles, booleans, big numbers, verbatim
    /// strings, pushes or a null type, and Redis renders them as follows,
    /// and so does this encoder: a map becomes a flat array of keys and
    /// values, a set or push an array, a boolean the integer 1 or 0, a double
    /// or big number a bulk string of its digits, a verbatim string a bulk
    /// string of its text, and null `$-1` (a null bulk string) or `*-1` (a
    /// null array, ``RESPValue/nullArray``).
    ///
    /// CR and LF in simple strings and errors would break the framing; as
    /// Redis does, they are written as spaces.
    public func encoded(for version: RESPVersion) -> [UInt8] {
        var bytes: [UInt8] = []
        encode(for: version, into: &bytes)
        return bytes
    }

    /// Appends the bytes of this reply for `version` to `bytes`.
    public func encode(for version: RESPVersion, into bytes: inout [UInt8]) {
        switch self {
        case .simpleString(let text):
            Self.line(prefix: UInt8(ascii: "+"), Self.withoutLineBreaks(text), into: &bytes)
        case .error(let message):
            Self.line(prefix: UInt8(ascii: "-"), Self.withoutLineBreaks(message), into: &bytes)
        case .integer(let value):
            Self.line(prefix: UInt8(ascii: ":"), Array(String(value).utf8), into: &bytes)
        case .bulkString(let data):
            Self.bulk(data, into: &bytes)
        case .null:
            bytes += version == .resp3 ? Array("_\r\n".utf8) : Array("$-1\r\n".utf8)
        case .nullArray:
            bytes += version == .resp3 ? Array("_\r\n".utf8) : Array("*-1\r\n".utf8)
        case .array(let elements):
            Self.aggregate(prefix: UInt8(ascii: "*"), elements, version: version, into: &bytes)
        case .map(let pairs):
            if version == .resp3 {
                Self.line(prefix: UInt8(ascii: "%"), Array(String(pairs.count).utf8), into: &bytes)
                for pair in pairs {
                    pair.key.encode(for: version, into: &bytes)
                    pair.value.encode(for: version, into: &bytes)
                }
            } else {
                Self.aggregate(prefix: UInt8(ascii: "*"), pairs.flatMap { [$0.key, $0.value] }, version: version, into: &bytes)
            }
        case .set(let elements):
            Self.aggregate(prefix: UInt8(ascii: version == .resp3 ? "~" : "*"), elements, version: version, into: &bytes)
        case .push(let elements):
            Self.aggregate(prefix: UInt8(ascii: version == .resp3 ? ">" : "*"), elements, version: version, into: &bytes)
        case .double(let value):
            let digits = Array(Self.format(value).utf8)
            if version == .resp3 {
                Self.line(prefix: UInt8(ascii: ","), digits, into: &bytes)
            } else {
                Self.bulk(digits, into: &bytes)
            }
        case .boolean(let value):
            if version == .resp3 {
                Self.line(prefix: UInt8(ascii: "#"), [UInt8(ascii: value ? "t" : "f")], into: &bytes)
            } else {
                Self.line(prefix: UInt8(ascii: ":"), [UInt8(ascii: value ? "1" : "0")], into: &bytes)
            }
        case .bigNumber(let digits):
            if version == .resp3 {
                Self.line(prefix: UInt8(ascii: "("), Array(digits.utf8), into: &bytes)
            } else {
                Self.bulk(Array(digits.utf8), into: &bytes)
            }
        case .verbatim(let format, let text):
            if version == .resp3 {
                let body = Array(format.utf8.prefix(3)) + [UInt8(ascii: ":")] + text
                Self.line(prefix: UInt8(ascii: "="), Array(String(body.count).utf8), into: &bytes)
                bytes += body
                bytes += [13, 10]
            } else {
                Self.bulk(text, into: &bytes)
            }
        }
    }

    /// A double as Redis writes it: `inf`, `-inf`, `nan`, an integral
    /// value without a fraction, anything else in its shortest exact form.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value == value.rounded(), value.magnitude < 1e17 { return String(Int64(value)) }
        return value.description
    }

    private static func line(prefix: UInt8, _ body: [UInt8], into bytes: inout [UInt8]) {
        bytes.append(prefix)
        bytes += body
        bytes += [13, 10]
    }

    private static func bulk(_ data: [UInt8], into bytes: inout [UInt8]) {
        line(prefix: UInt8(ascii: "$"), Array(String(data.count).utf8), into: &bytes)
        bytes += data
        bytes += [13, 10]
    }

    private static func aggregate(prefix: UInt8, _ elements: [RESPValue], version: RESPVersion, into bytes: inout [UInt8]) {
        line(prefix: prefix, Array(String(elements.count).utf8), into: &bytes)
        for element in elements { element.encode(for: version, into: &bytes) }
    }

    private static func withoutLineBreaks(_ text: String) -> [UInt8] {
        text.utf8.map { $0 == 13 || $0 == 10 ? UInt8(ascii: " ") : $0 }
    }
}
