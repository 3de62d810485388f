/// FNV-1a, 64-bit (Fowler, Noll and Vo), over the bytes of every trace line
/// followed by a newline. Equal traces give equal hashes; the function is
/// fixed, so hashes compare across processes and machines.
struct TraceHasher: Sendable {
    static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01B3

    private(set) var value: UInt64 = offsetBasis

    mutating func combine(line: String) {
        combine(part: line)
        endLine()
    }

    /// Adds part of a line, so a line need not be built just to be hashed.
    mutating func combine(part: String) {
        var hash = value
        for byte in part.utf8 {
            hash = (hash ^ UInt64(byte)) &* Self.prime
        }
        value = hash
    }

    /// Ends the current line with a newline.
    mutating func endLine() {
        value = (value ^ 0x0A) &* Self.prime
    }
}
