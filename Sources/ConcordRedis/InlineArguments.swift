/// Splits an inline request line into arguments the way redis-cli users
/// expect and Redis does (`sdssplitargs` in sds.c):
/// - arguments are separated by blanks (space, tab, CR, LF, vertical tab,
///   form feed);
/// - `"double quotes"` take the escapes `\n \r \t \b \a`, `\xHH` (two hex
///   digits) and a backslash before any other byte stands for that byte;
/// - `'single quotes'` take only `\'`;
/// - a quote may open in the middle of an argument (`a"b c"` is `ab c`),
///   but a closing quote must be followed by a blank or the end of the
///   line, and an unterminated quote is an error;
/// - the line ends at its first NUL byte (Redis reads it as a C string).
enum InlineArguments {
    /// The arguments of `line`, or nil when its quotes are unbalanced.
    static func split(_ line: ArraySlice<UInt8>) -> [[UInt8]]? {
        let text = line.prefix { $0 != 0 }
        var arguments: [[UInt8]] = []
        var index = text.startIndex
        func byte(at position: Int) -> UInt8? { position < text.endIndex ? text[position] : nil }
        while true {
            while let current = byte(at: index), isBlank(current) { index += 1 }
            guard index < text.endIndex else { return arguments }
            var current: [UInt8] = []
            var inDouble = false
            var inSingle = false
            var done = false
            while !done {
                let here = byte(at: index)
                if inDouble {
                    if here == UInt8(ascii: "\\"), byte(at: index + 1) == UInt8(ascii: "x"),
                        let high = byte(at: index + 2).flatMap(hexValue), let low = byte(at: index + 3).flatMap(hexValue)
                    {
                        current.append(high * 16 + low)
                        index += 3
                    } else if here == UInt8(ascii: "\\"), let escaped = byte(at: index + 1) {
                        index += 1
                        switch escaped {
                        case UInt8(ascii: "n"): current.append(10)
                        case UInt8(ascii: "r"): current.append(13)
                        case UInt8(ascii: "t"): current.append(9)
                        case UInt8(ascii: "b"): current.append(8)
                        case UInt8(ascii: "a"): current.append(7)
                        default: current.append(escaped)
                        }
                    } else if here == UInt8(ascii: "\"") {
                        if let next = byte(at: index + 1), !isBlank(next) { return nil }
                        done = true
                    } else if let here {
                        current.append(here)
                    } else {
                        return nil
                    }
                } else if inSingle {
                    if here == UInt8(ascii: "\\"), byte(at: index + 1) == UInt8(ascii: "'") {
                        index += 1
                        current.append(UInt8(ascii: "'"))
                    } else if here == UInt8(ascii: "'") {
                        if let next = byte(at: index + 1), !isBlank(next) { return nil }
                        done = true
                    } else if let here {
                        current.append(here)
                    } else {
                        return nil
                    }
                } else {
                    switch here {
                    case nil, UInt8(ascii: " "), 10, 13, 9: done = true
                    case UInt8(ascii: "\""): inDouble = true
                    case UInt8(ascii: "'"): inSingle = true
                    case let other?: current.append(other)
                    }
                }
                if index < text.endIndex { index += 1 }
            }
            arguments.append(current)
        }
    }

    /// C's `isspace`.
    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 32 || (9...13).contains(byte)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
