/// Active anti-entropy (Dynamo §4.7): each member in turn compares the
/// Merkle tree of one arc it replicates with another replica of that arc,
/// descending only where hashes differ and exchanging only the copies of
/// differing leaves, both ways.
struct AntiEntropyState: Sendable {
    /// The next arc index to consider.
    var nextArc = 0
    /// How many exchanges this member started (picks the peer in turn).
    var exchanges = 0
}

extension DynamoNode {
    /// Starts one exchange: the next arc this member replicates, with one of
    /// its other replicas.
    mutating func startAntiEntropy(_ output: inout DynamoOutput) {
        let arcCount = ring.arcCount
        guard arcCount > 0 else { return }
        let replicaCount = min(settings.replicationFactor, ring.members.count)
        for step in 0..<arcCount {
            let index = (antiEntropy.nextArc + step) % arcCount
            let replicas = Array(ring.preferenceList(arcIndex: index).prefix(replicaCount))
            guard replicas.contains(member) else { continue }
            let peers = replicas.filter { $0 != member }
            antiEntropy.nextArc = index + 1
            guard !peers.isEmpty else { return }
            let peer = peers[antiEntropy.exchanges % peers.count]
            antiEntropy.exchanges += 1
            statistics.antiEntropyExchanges += 1
            let arc = ring.arc(at: index)
            let tree = merkleTree(of: arc)
            output.send(
                .treeCompare(exchange: makeIdentifier(), arc: arc, level: 0, nodes: [TreeNodeHash(index: 0, hash: tree.root)]),
                to: peer)
            return
        }
    }

    /// This member's copies on `arc`, as a Merkle tree.
    func merkleTree(of arc: RingArc) -> MerkleTree {
        var copies: [ByteString: StoredObject] = [:]
        for (key, object) in objects where arc.contains(Hashing.position(of: key)) {
            copies[key] = object
        }
        return MerkleTree(copies: copies, branching: settings.merkleBranching, depth: settings.merkleDepth)
    }

    /// Compares the peer's nodes with this member's; descends where they
    /// differ, or sends the copies of differing leaves.
    mutating func onTreeCompare(
        exchange: UInt64, arc: RingArc, level: Int, nodes: [TreeNodeHash], from: MemberID, _ output: inout DynamoOutput
    ) {
        guard (0...settings.merkleDepth).contains(level) else { return }
        let tree = merkleTree(of: arc)
        let differing = nodes.filter { tree.hash(level: level, index: $0.index) != $0.hash }.map(\.index)
        guard !differing.isEmpty else { return }
        if level == settings.merkleDepth {
            let copies = differing.flatMap { leaf in
                (tree.leaves.indices.contains(leaf) ? tree.leaves[leaf] : []).map { KeyedObject(key: $0, object: objects[$0]!) }
            }
            output.send(.treeObjects(exchange: exchange, arc: arc, leaves: differing, objects: copies, wantsReply: true), to: from)
            return
        }
        let branching = settings.merkleBranching
        let lastChild = has(.antiEntropySkipsRange) ? branching - 1 : branching
        var children: [TreeNodeHash] = []
        for parent in differing {
            for offset in 0..<lastChild {
                let index = parent * branching + offset
                children.append(TreeNodeHash(index: index, hash: tree.hash(level: level + 1, index: index)))
            }
        }
        output.send(.treeCompare(exchange: exchange, arc: arc, level: level + 1, nodes: children), to: from)
    }

    /// Merges the peer's copies of differing leaves and, when asked, sends
    /// back this member's copies of those leaves.
    mutating func onTreeObjects(
        exchange: UInt64, arc: RingArc, leaves: [Int], copies: [KeyedObject], wantsReply: Bool, from: MemberID,
        _ output: inout DynamoOutput
    ) {
        var repaired = 0
        for copy in copies where arc.contains(Hashing.position(of: copy.key)) && replicates(copy.key) {
            if mergeCopy(copy.object, for: copy.key, &output) { repaired += 1 }
        }
        statistics.antiEntropyRepairs += repaired
        if repaired > 0 { output.notes.append("anti-entropy with \(from): \(repaired) keys repaired on \(arc)") }
        guard wantsReply else { return }
        let tree = merkleTree(of: arc)
        let mine = leaves.flatMap { leaf in
            (tree.leaves.indices.contains(leaf) ? tree.leaves[leaf] : []).map { KeyedObject(key: $0, object: objects[$0]!) }
        }
        let theirs = Dictionary(copies.map { ($0.key, $0.object.digest) }, uniquingKeysWith: { first, _ in first })
        let differing = mine.filter { theirs[$0.key] != $0.object.digest }
        guard !differing.isEmpty else { return }
        output.send(.treeObjects(exchange: exchange, arc: arc, leaves: leaves, objects: differing, wantsReply: false), to: from)
    }
}
