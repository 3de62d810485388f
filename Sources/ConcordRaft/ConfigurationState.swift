/// The membership of a Raft group as persisted in snapshots: the voters of
/// the incoming and (while joint) outgoing configuration, and the learners
/// (thesis §4.3, joint consensus; §4.2.1, non-voting members).
public struct ConfigurationState: Sendable, Hashable {
    /// The voters of the incoming (new) configuration.
    public var voters: Set<MemberID>
    /// The voters of the outgoing (old) configuration; empty unless joint.
    public var votersOutgoing: Set<MemberID>
    /// Replicas that receive the log but do not vote.
    public var learners: Set<MemberID>
    /// Outgoing voters that become learners when the joint configuration is
    /// left. Invariant: each is in `votersOutgoing` and not in `voters`.
    public var learnersNext: Set<MemberID>
    /// Whether the leader leaves the joint configuration by itself once it
    /// has applied the change that entered it.
    public var autoLeave: Bool

    /// Creates a configuration.
    public init(
        voters: Set<MemberID>,
        votersOutgoing: Set<MemberID> = [],
        learners: Set<MemberID> = [],
        learnersNext: Set<MemberID> = [],
        autoLeave: Bool = false
    ) {
        self.voters = voters
        self.votersOutgoing = votersOutgoing
        self.learners = learners
        self.learnersNext = learnersNext
        self.autoLeave = autoLeave
    }

    /// True while the group runs under a joint configuration.
    public var isJoint: Bool { !votersOutgoing.isEmpty }

    /// Every replica the configuration mentions.
    public var allReplicas: Set<MemberID> {
        voters.union(votersOutgoing).union(learners).union(learnersNext)
    }
}
