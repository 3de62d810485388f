/// Reads one event of a JSON Lines history straight from the line's bytes,
/// for the shape histories have in practice: one flat object whose fields
/// are strings, integers or `null`.
///
/// It is a shortcut, not a second definition of the format: whenever it
/// returns an event, decoding the same line with `JSONDecoder` (the
/// reference path in ``History/parseJSONLines(_:)``) gives the same event.
/// Anything it is not sure about (an error of any kind, escapes it cannot
/// turn into valid Unicode, numbers with a fraction or an exponent, nested
/// values, a field given twice, a missing field) makes it return `nil`, and
/// the caller decodes the line the reference way, which also writes the
/// error message.
struct HistoryLineScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position: Int

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.position = 0
    }

    /// The event on this line, or `nil` if the line is not in the common
    /// shape (including every invalid line).
    static func event(_ line: UnsafeBufferPointer<UInt8>) -> HistoryEvent? {
        var scanner = HistoryLineScanner(line)
        return scanner.object()
    }

    private enum Field: UInt8 {
        case process = 1, type = 2, function = 4, key = 8, value = 16, expected = 32, time = 64
    }

    private static let requiredFields: UInt8 =
        Field.process.rawValue | Field.type.rawValue | Field.function.rawValue | Field.key.rawValue | Field.time.rawValue

    private mutating func object() -> HistoryEvent? {
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        var seen: UInt8 = 0
        var process = 0
        var kind = HistoryEvent.Kind.invoke
        var function = HistoryEvent.Function.get
        var key = ""
        var value: String?
        var expected: String?
        var time: Int64 = 0
        skipSpace()
        if peek() == UInt8(ascii: "}") { return nil }
        while true {
            skipSpace()
            guard let name = fieldName() else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            if let field = name {
                guard seen & field.rawValue == 0 else { return nil }
                seen |= field.rawValue
                switch field {
                case .process:
                    guard let number = integer(), let exact = Int(exactly: number) else { return nil }
                    process = exact
                case .time:
                    guard let number = integer() else { return nil }
                    time = number
                case .type:
                    guard let parsed = self.kind() else { return nil }
                    kind = parsed
                case .function:
                    guard let parsed = self.function() else { return nil }
                    function = parsed
                case .key:
                    guard let text = string() else { return nil }
                    key = text
                case .value:
                    guard let text = nullableString() else { return nil }
                    value = text
                case .expected:
                    guard let text = nullableString() else { return nil }
                    expected = text
                }
            } else {
                guard skipScalarValue() else { return nil }
            }
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            guard take(UInt8(ascii: "}")) else { return nil }
            break
        }
        skipSpace()
        guard position == bytes.count, seen & Self.requiredFields == Self.requiredFields else { return nil }
        // The reference path's own rules: leave their messages to it.
        if kind == .ok, function == .get, seen & Field.value.rawValue == 0 { return nil }
        if kind == .invoke, function == .cas, seen & Field.expected.rawValue == 0 { return nil }
        return HistoryEvent(process: process, kind: kind, function: function, key: key, value: value, expected: expected, time: time)
    }

    private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// A field name: `.some(field)` for a known one, `.some(nil)` for any
    /// other plain name, `nil` when it is not a plain string.
    private mutating func fieldName() -> Field?? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            position += 1
        }
        guard position < bytes.count else { return nil }
        let name = UnsafeBufferPointer(rebasing: bytes[start..<position])
        position += 1
        return .some(Self.field(named: name))
    }

    private static func field(named name: UnsafeBufferPointer<UInt8>) -> Field? {
        switch name.count {
        case 1: name[0] == UInt8(ascii: "f") ? .function : nil
        case 3: matches(name, "key") ? .key : nil
        case 4: matches(name, "type") ? .type : matches(name, "time") ? .time : nil
        case 5: matches(name, "value") ? .value : nil
        case 7: matches(name, "process") ? .process : nil
        case 8: matches(name, "expected") ? .expected : nil
        default: nil
        }
    }

    /// Whether `bytes` spell `word` (ASCII).
    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        guard bytes.count == word.utf8CodeUnitCount else { return false }
        let letters = word.utf8Start
        for offset in 0..<bytes.count where bytes[offset] != letters[offset] {
            return false
        }
        return true
    }

    /// The bytes of a string without escapes, as they stand in the line.
    private mutating func plainStringBytes() -> UnsafeBufferPointer<UInt8>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return UnsafeBufferPointer(rebasing: bytes[start..<position - 1])
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            position += 1
        }
        return nil
    }

    private mutating func kind() -> HistoryEvent.Kind? {
        guard let word = plainStringBytes() else { return nil }
        if Self.matches(word, "invoke") { return .invoke }
        if Self.matches(word, "ok") { return .ok }
        if Self.matches(word, "fail") { return .fail }
        if Self.matches(word, "info") { return .info }
        return nil
    }

    private mutating func function() -> HistoryEvent.Function? {
        guard let word = plainStringBytes() else { return nil }
        if Self.matches(word, "get") { return .get }
        if Self.matches(word, "put") { return .put }
        if Self.matches(word, "delete") { return .delete }
        if Self.matches(word, "cas") { return .cas }
        return nil
    }

    /// An integer without fraction or exponent that fits in 64 bits.
    private mutating func integer() -> Int64? {
        let negative = take(UInt8(ascii: "-"))
        let start = position
        var magnitude: UInt64 = 0
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            magnitude = sum
            position += 1
        }
        let digits = position - start
        if digits == 0 || (digits > 1 && bytes[start] == UInt8(ascii: "0")) { return nil }
        if let next = peek(), next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") { return nil }
        if negative {
            if magnitude > UInt64(Int64.max) + 1 { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return magnitude > UInt64(Int64.max) ? nil : Int64(magnitude)
    }

    /// A string, or `.some(nil)` for `null`; `nil` for anything else.
    private mutating func nullableString() -> String?? {
        if peek() == UInt8(ascii: "n") {
            return literal("null") ? .some(nil) : nil
        }
        return string().map { .some($0) }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count,
              Self.matches(UnsafeBufferPointer(rebasing: bytes[position..<position + count]), word) else { return false }
        position += count
        return true
    }

    /// A JSON string. Escapes are decoded; a `\u` escape that is not a
    /// Unicode scalar (a lone surrogate) gives `nil`.
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return escapedString(from: start) }
            if byte < 0x20 { return nil }
            position += 1
        }
        return nil
    }

    /// The rest of a string that has escapes; `position` is at the first one.
    private mutating func escapedString(from start: Int) -> String? {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self).unicodeScalars)
        var run = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                scalars.append(contentsOf: String(decoding: UnsafeBufferPointer(rebasing: bytes[run..<position]), as: UTF8.self).unicodeScalars)
                position += 1
                return String(scalars)
            }
            if byte < 0x20 { return nil }
            guard byte == UInt8(ascii: "\\") else {
                position += 1
                continue
            }
            scalars.append(contentsOf: String(decoding: UnsafeBufferPointer(rebasing: bytes[run..<position]), as: UTF8.self).unicodeScalars)
            position += 1
            guard let escape = peek() else { return nil }
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{8}")
            case UInt8(ascii: "f"): scalars.append("\u{C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                guard let unit = hexUnit() else { return nil }
                if (0xD800..<0xDC00).contains(unit) {
                    guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hexUnit(), (0xDC00..<0xE000).contains(low) else {
                        return nil
                    }
                    let combined = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    guard let scalar = Unicode.Scalar(combined) else { return nil }
                    scalars.append(scalar)
                } else {
                    guard let scalar = Unicode.Scalar(UInt32(unit)) else { return nil }
                    scalars.append(scalar)
                }
            default:
                return nil
            }
            run = position
        }
        return nil
    }

    private mutating func hexUnit() -> UInt16? {
        guard bytes.count - position >= 4 else { return nil }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            unit = unit << 4 | UInt16(digit)
            position += 1
        }
        return unit
    }

    /// Skips the value of a field the format does not define, if it is a
    /// string, an integer, `true`, `false` or `null`.
    private mutating func skipScalarValue() -> Bool {
        switch peek() {
        case UInt8(ascii: "\"")?: return string() != nil
        case UInt8(ascii: "t")?: return literal("true")
        case UInt8(ascii: "f")?: return literal("false")
        case UInt8(ascii: "n")?: return literal("null")
        default: return integer() != nil
        }
    }
}
