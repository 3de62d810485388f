/// The settings of one member; every member of a ring should use the same.
/// Times are in ticks: the driver calls ``DynamoNode/onTick(now:)`` at a
/// fixed interval of its choice (the simulator uses 10 ms).
public struct DynamoSettings: Hashable, Sendable {
    /// N: how many members replicate each key, at most.
    public var replicationFactor = 3
    /// Virtual nodes per member on the ring.
    public var virtualNodesPerMember = 8
    /// A coordinator that has not gathered enough answers after this many
    /// ticks asks again, turns to fallbacks (sloppy requests) or to every
    /// member (a read behind its session), and suspects the silent members
    /// (writes are not forwarded to a suspected member until it is heard
    /// from again).
    public var escalationTicks = 3
    /// A request that has not completed after this many ticks fails as
    /// unavailable.
    public var requestTimeoutTicks = 25
    /// After answering a read, a coordinator waits this long for the other
    /// replicas' copies, to repair them too.
    public var readRepairWaitTicks = 4
    /// Hints and handed-off copies are offered again this often until
    /// acknowledged.
    public var handoffIntervalTicks = 5
    /// After a ring change, reads coordinated here also need R answers from
    /// the key's replicas under the previous ring (which answer with their
    /// hints) for this many ticks, as long as those answer before the
    /// request escalates: a write acknowledged by the old replicas is seen
    /// while its copies move to the new ones. It should cover the time
    /// handoff takes to move the moved ranges.
    public var ringTransitionTicks = 100
    /// The most copies in one handoff message.
    public var handoffKeysPerMessageMax = 32
    /// The most bytes of copies (in their binary form) in one handoff
    /// message; a single larger copy still travels alone.
    public var handoffBytesPerMessageMax = 1 << 20
    /// Whether a read asks all N replicas (Riak's way: the copies beyond
    /// the first R arrive after the answer, and every stale one is
    /// repaired). Off by default, as in Cassandra: a read asks R replicas,
    /// the coordinator first when it is one (so a read at R = 1 there costs
    /// no message), and the others only when one stays silent past the
    /// escalation time or the copies are behind the session; read repair
    /// covers the replicas asked, anti-entropy the rest.
    public var readsAskEveryReplica = false
    /// A member starts one anti-entropy exchange this often.
    public var antiEntropyIntervalTicks = 10
    /// Children per Merkle tree node.
    public var merkleBranching = 4
    /// Levels below a Merkle tree's root; the tree has
    /// `merkleBranching ^ merkleDepth` leaves.
    public var merkleDepth = 3
    /// Whether tombstones are collected at all (see docs/dynamo.md).
    public var collectsTombstones = true
    /// A tombstone is a candidate for collection once it has been held this
    /// long.
    public var tombstoneAgeTicksMin = 20
    /// The pause between the two confirmation rounds of a collection, and
    /// the place where tombstone collection relies on time: it must exceed
    /// the longest a message can stay in flight, or a copy sent before a
    /// member saw the tombstone could arrive after it was collected.
    public var reapGraceTicks = 30
    /// The most keys one collection round proposes.
    public var reapKeysPerRoundMax = 32
    /// Pending causal writes check their dependencies this often.
    public var dependencyCheckIntervalTicks = 2
    /// The most requests a member coordinates at once; more are refused.
    public var coordinationsMax = 1_024
    /// The most pending causal writes per key; more are refused.
    public var pendingWritesPerKeyMax = 64
    /// The largest amount a session timestamp may be ahead of this member's
    /// clock, in nanoseconds (the bound of its hybrid logical clock).
    public var clockOffsetNanosecondsMax: Int64 = 10_000_000_000
    /// Test-only: known bugs to re-introduce, so tests can show the checks
    /// catch them. Empty in every real deployment.
    public var testingBugs: Set<DynamoBug> = []

    /// The defaults.
    public init() {}

    /// The problems that make these settings unusable; empty when valid.
    public var problems: [String] {
        var problems: [String] = []
        if replicationFactor < 1 { problems.append("replicationFactor must be at least 1") }
        if !(1...Ring.virtualNodesPerMemberMax).contains(virtualNodesPerMember) {
            problems.append("virtualNodesPerMember must be 1...\(Ring.virtualNodesPerMemberMax)")
        }
        if escalationTicks < 1 { problems.append("escalationTicks must be at least 1") }
        if requestTimeoutTicks <= escalationTicks { problems.append("requestTimeoutTicks must exceed escalationTicks") }
        if handoffIntervalTicks < 1 || antiEntropyIntervalTicks < 1 || dependencyCheckIntervalTicks < 1 {
            problems.append("intervals must be at least 1 tick")
        }
        if ringTransitionTicks < 0 { problems.append("ringTransitionTicks must not be negative") }
        if handoffKeysPerMessageMax < 1 || handoffBytesPerMessageMax < 1 || reapKeysPerRoundMax < 1 { problems.append("batch limits must be at least 1") }
        if merkleBranching < 2 || merkleDepth < 1 || merkleDepth > 8 {
            problems.append("merkleBranching must be at least 2 and merkleDepth 1...8")
        }
        if coordinationsMax < 1 || pendingWritesPerKeyMax < 1 { problems.append("limits must be at least 1") }
        if clockOffsetNanosecondsMax < 0 { problems.append("clockOffsetNanosecondsMax must not be negative") }
        return problems
    }

    /// The number of Merkle tree leaves.
    var merkleLeafCount: Int {
        var count = 1
        for _ in 0..<merkleDepth { count *= merkleBranching }
        return count
    }
}

/// Test-only switches that re-introduce known bugs of Dynamo-style stores.
/// The simulation sweeps must catch each within the number of seeds its
/// test states.
public enum DynamoBug: String, Sendable, Hashable, CaseIterable {
    /// Read repair "resolves" the key by writing back the oldest copy it
    /// read, as a new version that supersedes the newer ones (a repair must
    /// only merge: Dynamo §4.5, Riak's read repair).
    case readRepairWritesOlderVersion = "read-repair-older"
    /// A fallback forgets a hint as soon as it offers it, before the owner
    /// acknowledges it (Dynamo §4.6: a hint is deleted only once delivered).
    case hintedHandoffDropsHints = "handoff-drops-hints"
    /// Anti-entropy never compares the last child of a Merkle tree node, so
    /// keys in those ranges never converge (Dynamo §4.7: every differing
    /// range must be exchanged).
    case antiEntropySkipsRange = "anti-entropy-skips-range"
    /// Sibling merge compares flattened version vectors instead of dots, and
    /// drops a concurrent sibling (Preguiça et al. 2010, the reason for
    /// dotted version vectors).
    case mergeDropsSibling = "merge-drops-sibling"
    /// Coordinators ignore the session token: reads answer from whatever
    /// R copies arrive first, writes carry no session context (Terry et al.
    /// 1994).
    case sessionTokenIgnored = "session-token-ignored"
    /// A replica shows a causal write at once, without waiting for its
    /// dependencies (COPS §4.2, `dep_check`).
    case causalDependencyNotWaited = "causal-dependency-not-waited"
    /// Tombstones are collected as soon as their reaper holds them, without
    /// asking whether every member has seen them, so a stale copy brings
    /// the deleted key back.
    case tombstoneCollectedEarly = "tombstone-collected-early"
    /// A ring change moves no data: a member drops the copies of keys it no
    /// longer replicates without handing them over, members that keep a key
    /// send nothing to its new replicas, and reads ask only the new
    /// replicas (Dynamo §4.9: ranges move with their keys).
    case ringChangeSkipsHandoff = "ring-change-skips-handoff"
}
