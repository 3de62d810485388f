/// Reads replies as a client does: RESP2 and RESP3, one value at a time
/// from a buffer that may hold a partial reply. The server never needs it;
/// tests, benchmarks and a future client do.
public enum RESPReplyParser {
    /// Why bytes are not a reply.
    public struct Malformed: Error, Hashable, Sendable {
        /// What was wrong.
        public var reason: String
        /// Where, in bytes from the start of the buffer.
        public var offset: Int
    }

    /// The deepest nesting of aggregates accepted.
    public static let depthMax = 64

    /// Parses one reply starting at `index`; returns nil (and leaves `index`)
    /// when the buffer ends before the reply does, else moves `index` past it.
    public static func parse(_ bytes: [UInt8], at index: inout Int) throws(Malformed) -> RESPValue? {
        var cursor = index
        guard let value = try value(bytes, &cursor, depth: 0) else { return nil }
        index = cursor
        return value
    }

    /// Parses every complete reply in `bytes`; throws on malformed input or
    /// a partial reply at the end.
    public static func parseAll(_ bytes: [UInt8]) throws(Malformed) -> [RESPValue] {
        var index = 0
        var values: [RESPValue] = []
        while index < bytes.count {
            guard let value = try parse(bytes, at: &index) else {
                throw Malformed(reason: "partial reply", offset: index)
            }
            values.append(value)
        }
        return values
    }

    private static func line(_ bytes: [UInt8], _ index: inout Int) -> ArraySlice<UInt8>? {
        var end = index
        while end + 1 < bytes.count {
            if bytes[end] == 13, bytes[end + 1] == 10 {
                let text = bytes[index..<end]
                index = end + 2
                return text
            }
            end += 1
        }
        return nil
    }

    private static func integer(_ text: ArraySlice<UInt8>, at offset: Int) throws(Malformed) -> Int64 {
        guard let value = RedisInteger.parse(text) else { throw Malformed(reason: "not an integer", offset: offset) }
        return value
    }

    private static func value(_ bytes: [UInt8], _ index: inout Int, depth: Int) throws(Malformed) -> RESPValue? {
        guard depth <= depthMax else { throw Malformed(reason: "nested too deeply", offset: index) }
        guard index < bytes.count else { return nil }
        let start = index
        let marker = bytes[index]
        index += 1
        guard let text = line(bytes, &index) else { return nil }
        let string = String(decoding: text, as: UTF8.self)
        switch marker {
        case UInt8(ascii: "+"): return .simpleString(string)
        case UInt8(ascii: "-"): return .error(string)
        case UInt8(ascii: ":"): return .integer(try integer(text, at: start))
        case UInt8(ascii: "_"): return .null
        case UInt8(ascii: "#"):
            guard text.count == 1, text.first == UInt8(ascii: "t") || text.first == UInt8(ascii: "f") else {
                throw Malformed(reason: "bad boolean", offset: start)
            }
            return .boolean(text.first == UInt8(ascii: "t"))
        case UInt8(ascii: ","):
            switch string {
            case "inf": return .double(.infinity)
            case "-inf": return .double(-.infinity)
            case "nan": return .double(.nan)
            default:
                guard let value = Double(string) else { throw Malformed(reason: "bad double", offset: start) }
                return .double(value)
            }
        case UInt8(ascii: "("): return .bigNumber(string)
        case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
            let length = try integer(text, at: start)
            if length == -1, marker == UInt8(ascii: "$") { return .null }
            guard length >= 0 else { throw Malformed(reason: "bad length", offset: start) }
            guard length <= Int64(bytes.count - index), bytes.count - index >= Int(length) + 2 else { return nil }
            let data = Array(bytes[index..<(index + Int(length))])
            guard bytes[index + Int(length)] == 13, bytes[index + Int(length) + 1] == 10 else {
                throw Malformed(reason: "missing CRLF after bulk data", offset: index + Int(length))
            }
            index += Int(length) + 2
            switch marker {
            case UInt8(ascii: "$"): return .bulkString(data)
            case UInt8(ascii: "!"): return .error(String(decoding: data, as: UTF8.self))
            default:
                guard data.count >= 4, data[3] == UInt8(ascii: ":") else {
                    throw Malformed(reason: "verbatim string without a format", offset: start)
                }
                return .verbatim(format: String(decoding: data[0..<3], as: UTF8.self), text: Array(data[4...]))
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"):
            let count = try integer(text, at: start)
            if count == -1, marker == UInt8(ascii: "*") { return .nullArray }
            guard count >= 0, count <= Int64(bytes.count) else { throw Malformed(reason: "bad count", offset: start) }
            let elementCount = Int(count) * (marker == UInt8(ascii: "%") ? 2 : 1)
            var elements: [RESPValue] = []
            for _ in 0..<elementCount {
                guard let element = try value(bytes, &index, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            switch marker {
            case UInt8(ascii: "*"): return .array(elements)
            case UInt8(ascii: "~"): return .set(elements)
            case UInt8(ascii: ">"): return .push(elements)
            default:
                return .map(stride(from: 0, to: elements.count, by: 2).map { RESPPair(elements[$0], elements[$0 + 1]) })
            }
        default:
            throw Malformed(reason: "unknown type byte \(marker)", offset: start)
        }
    }
}
