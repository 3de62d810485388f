/// The outcome of counting votes in a configuration.
public enum VoteResult: Sendable, Hashable {
    /// A quorum granted.
    case won
    /// A quorum can no longer grant.
    case lost
    /// Neither yet: some voters have not answered.
    case pending
}

/// A set of voters deciding by simple majority (Raft §5.2).
public struct MajorityQuorum: Sendable, Hashable {
    /// The voters.
    public var voters: Set<MemberID>

    /// Creates a majority configuration.
    public init(_ voters: Set<MemberID>) {
        self.voters = voters
    }

    /// The largest value that a majority of voters has reached, given each
    /// voter's value (for example its match index). A voter without a value
    /// counts as zero. An empty configuration has every value (`UInt64.max`),
    /// so that it never holds back a joint configuration.
    public func committedIndex(_ value: (MemberID) -> UInt64?) -> UInt64 {
        guard !voters.isEmpty else { return UInt64.max }
        let sorted = voters.map { value($0) ?? 0 }.sorted(by: >)
        // With n voters, the value at position n/2 (0-based, descending) is
        // held by at least n/2 + 1 of them: a majority.
        return sorted[voters.count / 2]
    }

    /// Counts the votes cast so far. An empty configuration wins, so that it
    /// never blocks a joint configuration.
    public func voteResult(_ votes: [MemberID: Bool]) -> VoteResult {
        guard !voters.isEmpty else { return .won }
        var granted = 0
        var missing = 0
        for voter in voters {
            switch votes[voter] {
            case true?: granted += 1
            case false?: break
            case nil: missing += 1
            }
        }
        let majority = voters.count / 2 + 1
        if granted >= majority { return .won }
        if granted + missing >= majority { return .pending }
        return .lost
    }
}

/// Two majority configurations that must both agree: the incoming one and,
/// during a membership change, the outgoing one (thesis §4.3, joint
/// consensus). When the outgoing one is empty this is a plain majority.
public struct JointQuorum: Sendable, Hashable {
    /// The new configuration.
    public var incoming: MajorityQuorum
    /// The old configuration; empty unless joint.
    public var outgoing: MajorityQuorum

    /// Creates a joint configuration.
    public init(incoming: Set<MemberID>, outgoing: Set<MemberID> = []) {
        self.incoming = MajorityQuorum(incoming)
        self.outgoing = MajorityQuorum(outgoing)
    }

    /// Every voter of either half.
    public var voters: Set<MemberID> { incoming.voters.union(outgoing.voters) }

    /// True while both halves are in force.
    public var isJoint: Bool { !outgoing.voters.isEmpty }

    /// The largest value both majorities have reached.
    public func committedIndex(_ value: (MemberID) -> UInt64?) -> UInt64 {
        min(incoming.committedIndex(value), outgoing.committedIndex(value))
    }

    /// Won only when both halves won; lost when either lost.
    public func voteResult(_ votes: [MemberID: Bool]) -> VoteResult {
        let first = incoming.voteResult(votes)
        let second = outgoing.voteResult(votes)
        if first == second { return first }
        if first == .lost || second == .lost { return .lost }
        return .pending
    }
}
