/// FNV-1a, 64-bit (Fowler, Noll and Vo), over the bytes of every trace line
/// followed by a newline. Equal traces give equal hashes; the function is
/// fixed, so hashes compare across processes and machines.
@usableFromInline
struct TraceHasher: Sendable {
    @usableFromInline static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    @usableFromInline static let prime: UInt64 = 0x0000_0100_0000_01B3

    @usableFromInline var value: UInt64 = offsetBasis

    @inlinable init() {}

    @inlinable mutating func combine(line: String) {
        combine(part: line)
        endLine()
    }

    /// Adds part of a line, so a line need not be built just to be hashed.
    @inlinable mutating func combine(part: String) {
        var hash = value
        for byte in part.utf8 {
            hash = (hash ^ UInt64(byte)) &* Self.prime
        }
        value = hash
    }

    /// Ends the current line with a newline.
    @inlinable mutating func endLine() {
        value = (value ^ 0x0A) &* Self.prime
    }
}
