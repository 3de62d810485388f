import Foundation

/// Concord's JSON Lines history format: one event per line, the file's order
/// being the real-time order of events.
///
/// ```
/// {"process":0,"type":"invoke","f":"put","key":"x","value":"1","time":0}
/// {"process":0,"type":"ok","f":"put","key":"x","value":"1","time":7}
/// ```
///
/// Fields: `process` (integer), `type` (`invoke`, `ok`, `fail`, `info`), `f`
/// (`get`, `put`, `delete`, `cas`), `key` (string), `value` (string or
/// `null`), `expected` (`cas` only, string or `null` for absent), `time`
/// (integer, non-decreasing). A `get` that completes `ok` must carry `value`
/// (`null` when the key was absent); a `cas` invocation must carry both
/// `expected` and `value`. Blank lines are ignored; unknown fields too.
extension History {
    /// Parses and validates a JSON Lines history.
    /// - Parameter text: the file's contents.
    /// - Returns: the validated history.
    /// - Throws: ``HistoryError`` naming the 1-based line at fault.
    public static func parseJSONLines(_ text: String) throws(HistoryError) -> History {
        var text = text
        let parsed = text.withUTF8 { parseJSONLines($0) }
        return try parsed.get()
    }

    /// Parses the UTF-8 bytes of a JSON Lines history.
    ///
    /// Lines end at each newline byte. A line in the common shape is read by
    /// ``HistoryLineScanner``; any other line (unusual, or invalid) is
    /// decoded by `JSONDecoder`, which is also what names the error, so both
    /// paths accept and reject the same lines and give the same events.
    static func parseJSONLines(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<History, HistoryError> {
        var events: [HistoryEvent] = []
        var lines: [Int] = []
        var number = 0
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            number += 1
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            start = end + 1
            if isBlank(line) { continue }
            if let event = HistoryLineScanner.event(line) {
                events.append(event)
                lines.append(number)
                continue
            }
            switch decodeLine(String(decoding: line, as: UTF8.self), number: number) {
            case .success(let event?):
                events.append(event)
                lines.append(number)
            case .success(nil):
                continue
            case .failure(let error):
                return .failure(error)
            }
        }
        do {
            return .success(try History(events, lines: lines))
        } catch {
            return .failure(error)
        }
    }

    /// Whether a line holds nothing but ASCII spaces, tabs and carriage returns.
    private static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    /// Decodes one line with `JSONDecoder`: the event, `nil` for a line that
    /// is only whitespace, or the error naming the line.
    static func decodeLine(_ line: String, number: Int) -> Result<HistoryEvent?, HistoryError> {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return .success(nil) }
        do {
            return .success(try JSONDecoder().decode(WireEvent.self, from: Data(trimmed.utf8)).event)
        } catch let error as WireEvent.Problem {
            return .failure(.invalidLine(line: number, reason: error.reason))
        } catch let error as DecodingError {
            return .failure(.invalidLine(line: number, reason: WireEvent.describe(error)))
        } catch {
            return .failure(.invalidLine(line: number, reason: "\(error)"))
        }
    }

    /// The history in the JSON Lines format, one event per line, each line
    /// ending with a newline.
    public var jsonLines: String {
        var text = ""
        for event in events {
            var fields = [
                "\"process\":\(event.process)",
                "\"type\":\(jsonString(event.kind.rawValue))",
                "\"f\":\(jsonString(event.function.rawValue))",
                "\"key\":\(jsonString(event.key))",
            ]
            if let value = event.value {
                fields.append("\"value\":\(jsonString(value))")
            } else if event.kind == .ok && event.function == .get {
                fields.append("\"value\":null")
            }
            if event.function == .cas {
                fields.append("\"expected\":\(event.expected.map(jsonString) ?? "null")")
            }
            fields.append("\"time\":\(event.time)")
            text += "{" + fields.joined(separator: ",") + "}\n"
        }
        return text
    }
}

/// A string as a JSON string literal.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// One line of a JSON Lines history, decoded field by field so that errors
/// can name the field.
struct WireEvent: Decodable {
    struct Problem: Error {
        var reason: String
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case process, type, f, key, value, expected, time
    }

    let event: HistoryEvent

    init(from decoder: any Decoder) throws {
        let container: KeyedDecodingContainer<CodingKeys>
        do {
            container = try decoder.container(keyedBy: CodingKeys.self)
        } catch {
            throw Problem(reason: "an event must be a JSON object")
        }
        let process = try container.decode(Int.self, forKey: .process)
        let typeName = try container.decode(String.self, forKey: .type)
        guard let kind = HistoryEvent.Kind(rawValue: typeName) else {
            throw Problem(reason: "field \"type\" is \(jsonString(typeName)); expected one of invoke, ok, fail, info")
        }
        let functionName = try container.decode(String.self, forKey: .f)
        guard let function = HistoryEvent.Function(rawValue: functionName) else {
            throw Problem(reason: "field \"f\" is \(jsonString(functionName)); expected one of get, put, delete, cas")
        }
        let key = try container.decode(String.self, forKey: .key)
        let value = try container.decodeIfPresent(String.self, forKey: .value)
        if kind == .ok, function == .get, !container.contains(.value) {
            throw Problem(reason: "missing field \"value\": a get that completes ok carries the value read (null when absent)")
        }
        if kind == .invoke, function == .cas, !container.contains(.expected) {
            throw Problem(reason: "missing field \"expected\": a cas carries the value it expects (null for absent)")
        }
        let expected = try container.decodeIfPresent(String.self, forKey: .expected)
        let time = try container.decode(Int64.self, forKey: .time)
        event = HistoryEvent(process: process, kind: kind, function: function, key: key, value: value, expected: expected, time: time)
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _):
            return "missing field \"\(key.stringValue)\""
        case .valueNotFound(_, let context):
            return "field \"\(field(context))\" must not be null"
        case .typeMismatch(let type, let context):
            return "field \"\(field(context))\" must be \(type == String.self ? "a string" : "an integer")"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "field \"\(field(context))\" must be \(context.codingPath.last?.stringValue == "time" || context.codingPath.last?.stringValue == "process" ? "an integer in range" : "valid")"
        @unknown default:
            return "not a valid event"
        }
    }

    private static func field(_ context: DecodingError.Context) -> String {
        context.codingPath.last?.stringValue ?? "?"
    }
}
