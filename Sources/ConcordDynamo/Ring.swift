/// Why a ring cannot be built.
public enum RingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A member is listed twice.
    case duplicateMember(MemberID)
    /// The number of virtual nodes per member is outside `1...Ring.virtualNodesPerMemberMax`.
    case virtualNodesOutOfRange(Int)
    /// There are more members than ``Ring/membersMax``.
    case tooManyMembers(Int)
    /// Two members' actor identities share their high 32 bits, so their
    /// dots could collide (see ``Actor``). Practically never happens; give
    /// one of them another id.
    case actorCollision(MemberID, MemberID)

    public var description: String {
        switch self {
        case .duplicateMember(let member): "member \(member) is listed twice"
        case .virtualNodesOutOfRange(let count): "\(count) virtual nodes per member; need 1...\(Ring.virtualNodesPerMemberMax)"
        case .tooManyMembers(let count): "\(count) members; at most \(Ring.membersMax)"
        case .actorCollision(let first, let second): "members \(first) and \(second) would share actor identities"
        }
    }
}

/// A consistent-hash ring with virtual nodes (Karger et al. 1997; Dynamo
/// §4.2): every member owns `virtualNodesPerMember` tokens at positions
/// hashed from its id, and a key belongs to the first token at or after its
/// own position, clockwise.
///
/// A key's *preference list* is every member in the order met walking
/// clockwise from the key's token, each member once: the first `N` are the
/// key's replicas, the rest its fallbacks, in the order sloppy quorums use
/// them. Tokens split the circle into *arcs*; all keys of an arc share one
/// preference list, which is why arcs are the unit of anti-entropy and of
/// handoff when the ring changes. Adding or removing a member changes the
/// preference lists of only the arcs next to its tokens (see
/// ``transfers(from:to:replicas:)``).
public struct Ring: Hashable, Sendable {
    /// The most members a ring may have.
    public static let membersMax = 1_024
    /// The most virtual nodes per member.
    public static let virtualNodesPerMemberMax = 256

    /// The members, in increasing order.
    public let members: [MemberID]
    /// Tokens per member.
    public let virtualNodesPerMember: Int
    /// Token positions, increasing (ties broken by member).
    let positions: [UInt64]
    /// The member owning each token of `positions`.
    let owners: [MemberID]

    /// Builds the ring of `members` (any order), or throws for a member
    /// listed twice, a count out of range, or an actor collision.
    public init(members: some Sequence<MemberID>, virtualNodesPerMember: Int) throws(RingError) {
        let sorted = members.sorted()
        for index in sorted.indices.dropFirst() where sorted[index] == sorted[index - 1] {
            throw .duplicateMember(sorted[index])
        }
        guard sorted.count <= Self.membersMax else { throw .tooManyMembers(sorted.count) }
        guard (1...Self.virtualNodesPerMemberMax).contains(virtualNodesPerMember) else {
            throw .virtualNodesOutOfRange(virtualNodesPerMember)
        }
        var bases: [UInt64: MemberID] = [:]
        for member in sorted {
            let base = Actor.base(of: member) >> 32
            if let other = bases[base] { throw .actorCollision(other, member) }
            bases[base] = member
        }
        var tokens: [(position: UInt64, member: MemberID)] = []
        tokens.reserveCapacity(sorted.count * virtualNodesPerMember)
        for member in sorted {
            for index in 0..<virtualNodesPerMember {
                tokens.append((Hashing.position(of: member, virtualNode: index), member))
            }
        }
        tokens.sort { ($0.position, $0.member) < ($1.position, $1.member) }
        self.members = sorted
        self.virtualNodesPerMember = virtualNodesPerMember
        positions = tokens.map(\.position)
        owners = tokens.map(\.member)
    }

    /// True when `member` is on the ring.
    public func contains(_ member: MemberID) -> Bool {
        members.binarySearchContains(member)
    }

    /// The number of arcs (one per token).
    public var arcCount: Int { positions.count }

    /// Every arc, in token order.
    public var arcs: [RingArc] {
        positions.indices.map(arc(at:))
    }

    /// The arc ending at token `index`.
    public func arc(at index: Int) -> RingArc {
        let start = index == 0 ? positions[positions.count - 1] : positions[index - 1]
        return RingArc(index: index, start: start, end: positions[index], isWhole: positions.count == 1)
    }

    /// The index of the arc holding ring position `position`.
    public func arcIndex(containing position: UInt64) -> Int {
        precondition(!positions.isEmpty, "an empty ring holds no keys")
        var low = 0
        var high = positions.count
        while low < high {
            let middle = (low + high) / 2
            if positions[middle] < position { low = middle + 1 } else { high = middle }
        }
        return low == positions.count ? 0 : low
    }

    /// The arc holding `key`.
    public func arc(containing key: ByteString) -> RingArc {
        arc(at: arcIndex(containing: Hashing.position(of: key)))
    }

    /// Every member in the order a walk clockwise from token `index` meets
    /// them: the first `N` are the replicas of the arc's keys.
    public func preferenceList(arcIndex index: Int) -> [MemberID] {
        var list: [MemberID] = []
        list.reserveCapacity(members.count)
        var step = 0
        while list.count < members.count && step < positions.count {
            let owner = owners[(index + step) % positions.count]
            if !list.contains(owner) { list.append(owner) }
            step += 1
        }
        return list
    }

    /// The preference list of `key` (see ``preferenceList(arcIndex:)``).
    public func preferenceList(for key: ByteString) -> [MemberID] {
        preferenceList(arcIndex: arcIndex(containing: Hashing.position(of: key)))
    }

    /// The first `replicas` members of `key`'s preference list.
    public func replicas(of key: ByteString, count replicas: Int) -> [MemberID] {
        Array(preferenceList(for: key).prefix(replicas))
    }

    /// What must move when the ring changes from `old` to `new`: one entry
    /// for each stretch of the circle whose first `replicas` members differ,
    /// naming the members that join and leave that stretch's replica set.
    /// Stretches whose replicas stay the same are not listed: their data
    /// does not move.
    public static func transfers(from old: Ring, to new: Ring, replicas: Int) -> [RingTransfer] {
        guard !old.positions.isEmpty, !new.positions.isEmpty else { return [] }
        let boundaries = Array(Set(old.positions).union(new.positions)).sorted()
        var transfers: [RingTransfer] = []
        for (index, end) in boundaries.enumerated() {
            let start = index == 0 ? boundaries[boundaries.count - 1] : boundaries[index - 1]
            let before = Array(old.preferenceList(arcIndex: old.arcIndex(containing: end)).prefix(replicas))
            let after = Array(new.preferenceList(arcIndex: new.arcIndex(containing: end)).prefix(replicas))
            guard Set(before) != Set(after) else { continue }
            transfers.append(RingTransfer(
                start: start, end: end, isWhole: boundaries.count == 1,
                leaving: before.filter { !after.contains($0) }, joining: after.filter { !before.contains($0) }))
        }
        return transfers
    }
}

/// A stretch of the ring between two tokens: the positions after `start`
/// up to and including `end`, wrapping past the top of the 64-bit circle.
public struct RingArc: Hashable, Sendable, CustomStringConvertible {
    /// The arc's token index in the ring it came from.
    public var index: Int
    /// The position just before the arc (exclusive).
    public var start: UInt64
    /// The arc's last position (inclusive): its token.
    public var end: UInt64
    /// True when the arc is the whole circle (a ring with one token).
    public var isWhole: Bool

    /// The arc after `start` up to and including `end`.
    public init(index: Int, start: UInt64, end: UInt64, isWhole: Bool) {
        self.index = index
        self.start = start
        self.end = end
        self.isWhole = isWhole
    }

    /// True when `position` lies on the arc.
    public func contains(_ position: UInt64) -> Bool {
        if isWhole { return true }
        if start < end { return position > start && position <= end }
        if start == end { return false }
        return position > start || position <= end
    }

    public var description: String { "arc\(index)(\(start)...\(end)]" }
}

/// Data that moves when the ring changes (see ``Ring/transfers(from:to:replicas:)``).
public struct RingTransfer: Hashable, Sendable {
    /// The stretch's first position is just after this one.
    public var start: UInt64
    /// The stretch's last position.
    public var end: UInt64
    /// True when the stretch is the whole circle.
    public var isWhole: Bool
    /// Members that were replicas of the stretch and no longer are: they
    /// hand its keys over.
    public var leaving: [MemberID]
    /// Members that become replicas of the stretch: they receive its keys.
    public var joining: [MemberID]

    /// True when `position` lies in the stretch.
    public func contains(_ position: UInt64) -> Bool {
        RingArc(index: 0, start: start, end: end, isWhole: isWhole).contains(position)
    }
}

extension Array where Element: Comparable {
    /// Binary search in a sorted array.
    func binarySearchContains(_ element: Element) -> Bool {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < element { low = middle + 1 } else { high = middle }
        }
        return low < count && self[low] == element
    }
}
