/// A Merkle tree over the copies of one arc of the ring (Merkle 1987;
/// Dynamo §4.7): a fixed shape of `branching ^ depth` leaves, each key in
/// the leaf its hashed position picks, each leaf the digest of its keys and
/// copies, each inner node the digest of its children. Two replicas whose
/// roots agree hold the same copies; where they differ, comparing children
/// level by level finds the differing leaves while exchanging only the
/// hashes along the way.
///
/// Empty subtrees hash to 0, so sparse trees compare cheaply.
public struct MerkleTree: Sendable {
    /// Children per node.
    public let branching: Int
    /// Levels below the root.
    public let depth: Int
    /// `levels[l][i]`: the hash of node `i` of level `l` (level 0 is the root).
    public let levels: [[UInt64]]
    /// The keys in each leaf, in order.
    public let leaves: [[ByteString]]

    /// The tree of `copies` (the keys of one arc and their copies).
    public init(copies: [ByteString: StoredObject], branching: Int, depth: Int) {
        precondition(branching >= 2 && depth >= 1, "a tree needs branching >= 2 and depth >= 1")
        self.branching = branching
        self.depth = depth
        var leafCount = 1
        for _ in 0..<depth { leafCount *= branching }
        var leaves = [[ByteString]](repeating: [], count: leafCount)
        for key in copies.keys.sorted() {
            leaves[Self.leaf(of: key, count: leafCount)].append(key)
        }
        var level = leaves.map { keys -> UInt64 in
            guard !keys.isEmpty else { return 0 }
            var digest = Digest()
            for key in keys {
                digest.combine(key)
                digest.combine(copies[key]!.digest)
            }
            return digest.value
        }
        var levels = [level]
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: branching).map { start in
                let children = level[start..<(start + branching)]
                guard children.contains(where: { $0 != 0 }) else { return 0 }
                var digest = Digest()
                for child in children { digest.combine(child) }
                return digest.value
            }
            levels.append(level)
        }
        self.levels = levels.reversed()
        self.leaves = leaves
    }

    /// The root hash.
    public var root: UInt64 { levels[0][0] }

    /// The leaf holding `key` in a tree of `count` leaves.
    public static func leaf(of key: ByteString, count: Int) -> Int {
        Int(Hashing.mix(Hashing.position(of: key) ^ 0x5EED_0F_7EE5) % UInt64(count))
    }

    /// The hash of node `index` of `level` (0 for an index out of range).
    public func hash(level: Int, index: Int) -> UInt64 {
        guard levels.indices.contains(level), levels[level].indices.contains(index) else { return 0 }
        return levels[level][index]
    }
}
