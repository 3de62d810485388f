/// The hash functions of the store: where a key sits on the ring, where a
/// virtual node sits, and the digests Merkle trees compare.
///
/// FNV-1a over the bytes (Fowler, Noll, Vo), followed by the 64-bit
/// finalizer of MurmurHash3 (Appleby) so that nearby inputs spread over the
/// whole ring. Both are fixed functions: every member computes the same
/// positions and digests on every platform. They are not keyed, so they do
/// not resist keys chosen to collide; the ring's balance assumes ordinary
/// keys.
public enum Hashing {
    static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// MurmurHash3's `fmix64`: a bijection of 64-bit values with full
    /// avalanche (every input bit changes every output bit with about even
    /// odds).
    @inlinable public static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x &*= 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }

    /// The position of `key` on the ring.
    public static func position(of key: ByteString) -> UInt64 {
        var digest = Digest()
        digest.combine(bytes: key.bytes)
        return digest.value
    }

    /// The position of virtual node `index` of `member` on the ring.
    public static func position(of member: MemberID, virtualNode index: Int) -> UInt64 {
        var digest = Digest()
        digest.combine(member.rawValue)
        digest.combine(UInt64(index))
        return digest.value
    }
}

/// An incremental 64-bit digest: FNV-1a over everything combined, mixed on
/// output. Used for ring positions, object digests and Merkle tree nodes.
public struct Digest: Sendable {
    private var state = Hashing.offsetBasis
    private var length: UInt64 = 0

    /// An empty digest.
    public init() {}

    /// Adds bytes.
    public mutating func combine(bytes: some Sequence<UInt8>) {
        for byte in bytes {
            state ^= UInt64(byte)
            state &*= Hashing.prime
            length &+= 1
        }
    }

    /// Adds a 64-bit word as its 8 little-endian bytes.
    public mutating func combine(_ word: UInt64) {
        var remaining = word
        for _ in 0..<8 {
            state ^= remaining & 0xFF
            state &*= Hashing.prime
            remaining >>= 8
        }
        length &+= 8
    }

    /// Adds a byte string with its length first, so that adjacent strings
    /// cannot run together.
    public mutating func combine(_ string: ByteString) {
        combine(UInt64(string.count))
        combine(bytes: string.bytes)
    }

    /// The digest of everything combined so far.
    public var value: UInt64 {
        Hashing.mix(state ^ length)
    }
}
