/// Redis's glob-style patterns (`stringmatchlen` in util.c), as KEYS and
/// SCAN … MATCH use them: `*` any run of bytes, `?` one byte, `[abc]`,
/// `[^abc]` and `[a-z]` one byte of (or not of) a set, `\x` the byte `x`.
/// Bytes compare exactly (no case folding), as KEYS does.
enum GlobPattern {
    /// Whether `string` matches `pattern`.
    static func matches(_ pattern: [UInt8], _ string: [UInt8]) -> Bool {
        matches(pattern[...], string[...], depth: 0)
    }

    /// Deeper nesting than this (one level per `*`) gives no match, as
    /// Redis limits it, so that a hostile pattern cannot exhaust the stack.
    static let nestingMax = 1_000

    private static func matches(_ pattern: ArraySlice<UInt8>, _ string: ArraySlice<UInt8>, depth: Int) -> Bool {
        guard depth <= nestingMax else { return false }
        var pattern = pattern
        var string = string
        while let first = pattern.first {
            switch first {
            case UInt8(ascii: "*"):
                while pattern.count > 1, pattern[pattern.startIndex + 1] == UInt8(ascii: "*") { pattern = pattern.dropFirst() }
                if pattern.count == 1 { return true }
                var rest = string
                while true {
                    if matches(pattern.dropFirst(), rest, depth: depth + 1) { return true }
                    guard !rest.isEmpty else { return false }
                    rest = rest.dropFirst()
                }
            case UInt8(ascii: "?"):
                guard !string.isEmpty else { return false }
                string = string.dropFirst()
                pattern = pattern.dropFirst()
            case UInt8(ascii: "["):
                guard let byte = string.first else { return false }
                pattern = pattern.dropFirst()
                let negated = pattern.first == UInt8(ascii: "^")
                if negated { pattern = pattern.dropFirst() }
                var matched = false
                while let current = pattern.first, current != UInt8(ascii: "]") {
                    if current == UInt8(ascii: "\\"), pattern.count >= 2 {
                        pattern = pattern.dropFirst()
                        if pattern.first == byte { matched = true }
                        pattern = pattern.dropFirst()
                    } else if pattern.count >= 3, pattern[pattern.startIndex + 1] == UInt8(ascii: "-") {
                        var low = current
                        var high = pattern[pattern.startIndex + 2]
                        if low > high { swap(&low, &high) }
                        if byte >= low && byte <= high { matched = true }
                        pattern = pattern.dropFirst(3)
                    } else {
                        if current == byte { matched = true }
                        pattern = pattern.dropFirst()
                    }
                }
                // An unclosed class ends at the pattern's end, as in Redis.
                if !pattern.isEmpty { pattern = pattern.dropFirst() }
                guard matched != negated else { return false }
                string = string.dropFirst()
            case UInt8(ascii: "\\") where pattern.count >= 2:
                guard string.first == pattern[pattern.startIndex + 1] else { return false }
                string = string.dropFirst()
                pattern = pattern.dropFirst(2)
            default:
                guard string.first == first else { return false }
                string = string.dropFirst()
                pattern = pattern.dropFirst()
            }
        }
        return string.isEmpty
    }
}
