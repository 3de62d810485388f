/// FNV-1a, 64-bit (Fowler, Noll and Vo), over the bytes of every trace line
/// followed by a newline. Equal traces give equal hashes; the function is
/// fixed, so hashes compare across processes and machines.
struct TraceHasher: Sendable {
    static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01B3

    private(set) var value: UInt64 = offsetBasis

    mutating func combine(line: String) {
        var hash = value
        for byte in line.utf8 {
            hash = (hash ^ UInt64(byte)) &* Self.prime
        }
        hash = (hash ^ 0x0A) &* Self.prime
        value = hash
    }
}
