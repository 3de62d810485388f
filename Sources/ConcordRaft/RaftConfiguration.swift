/// The settings of one replica. Times are in ticks: the driver calls
/// `RaftNode.tick()` at a fixed interval of its choice.
public struct RaftConfiguration: Sendable, Hashable {
    /// This replica's id (not zero).
    public var id: MemberID
    /// A follower that hears no leader for a random number of ticks in
    /// [`electionTimeoutTicks`, 2 × `electionTimeoutTicks`) campaigns (Raft §5.2).
    public var electionTimeoutTicks: Int = 10
    /// A leader sends heartbeats every `heartbeatIntervalTicks`.
    /// Must be less than `electionTimeoutTicks`.
    public var heartbeatIntervalTicks: Int = 1
    /// Campaign with a pre-vote first (thesis §9.6).
    public var preVote: Bool = true
    /// A leader that has not heard from a quorum within an election timeout
    /// steps down, and followers ignore vote requests while they hear from a
    /// leader (thesis §6.2 and §4.2.3).
    public var checkQuorum: Bool = true
    /// The most entries in one append message.
    public var entriesPerMessageMax: Int = 64
    /// The most payload bytes in one append message (one larger entry is
    /// still sent alone).
    public var bytesPerMessageMax: Int = 1 << 20
    /// The most append messages in flight to one follower.
    public var inflightMessagesMax: Int = 64
    /// The most payload bytes in flight to one follower; 0 means no limit.
    public var inflightBytesMax: Int = 16 << 20
    /// The largest proposal payload, in bytes.
    public var proposalBytesMax: Int = 1 << 20
    /// The most payload bytes a leader holds uncommitted before it refuses
    /// proposals; 0 means no limit.
    public var uncommittedBytesMax: Int = 64 << 20
    /// The most payload bytes of committed entries in one output.
    public var applyBytesPerOutputMax: Int = 4 << 20
    /// The bytes of snapshot data in one chunk.
    public var snapshotChunkBytesMax: Int = 256 << 10
    /// What a follower does with a proposal.
    public var proposalForwarding: ProposalForwarding = .forwardToLeader
    /// A bound, in ticks, on how much faster any replica's clock may run than
    /// another's over an election timeout. When set (with `checkQuorum`),
    /// a leader serves reads from its lease without a round of heartbeats
    /// (thesis §6.4.1); when nil, reads always use ReadIndex.
    public var clockDriftBoundTicks: Int? = nil
    /// Test-only: known bugs to re-introduce, so tests can show the checks
    /// catch them. Empty in every real deployment.
    public var testingBugs: Set<RaftBug> = []

    /// Creates the settings of replica `id` with defaults for everything else.
    public init(id: MemberID) {
        self.id = id
    }

    /// The problems that make these settings unusable; empty when valid.
    public var problems: [String] {
        var problems: [String] = []
        if id == 0 { problems.append("id must not be 0") }
        if electionTimeoutTicks < 2 { problems.append("electionTimeoutTicks must be at least 2") }
        if heartbeatIntervalTicks < 1 || heartbeatIntervalTicks >= electionTimeoutTicks {
            problems.append("heartbeatIntervalTicks must be at least 1 and less than electionTimeoutTicks")
        }
        if entriesPerMessageMax < 1 { problems.append("entriesPerMessageMax must be at least 1") }
        if inflightMessagesMax < 1 { problems.append("inflightMessagesMax must be at least 1") }
        if snapshotChunkBytesMax < 1 { problems.append("snapshotChunkBytesMax must be at least 1") }
        if let drift = clockDriftBoundTicks, drift < 0 || drift >= electionTimeoutTicks {
            problems.append("clockDriftBoundTicks must be in 0..<electionTimeoutTicks")
        }
        return problems
    }

    /// True when leases may serve reads.
    var leaseReadsEnabled: Bool { clockDriftBoundTicks != nil && checkQuorum }
}

/// What a follower does with a proposal.
public enum ProposalForwarding: Sendable, Hashable {
    /// Forward it to the leader it knows.
    case forwardToLeader
    /// Refuse it, naming the leader it knows (`RaftRequestError.notLeader`).
    case reject
}

/// Test-only switches that re-introduce known Raft bugs.
public enum RaftBug: String, Sendable, Hashable, CaseIterable {
    /// Grant votes without the election restriction (Raft §5.4.1).
    case voteWithoutLogCheck = "vote-without-log-check"
    /// Commit entries of earlier terms by counting replicas (Raft §5.4.2, Figure 8).
    case commitEarlierTermByCounting = "commit-earlier-term"
    /// Serve reads from the local state of a node that believes it leads,
    /// without ReadIndex or a lease (thesis §6.4).
    case readWithoutQuorumCheck = "read-without-quorum"
    /// Send a vote before the vote is durable (Raft Figure 2, persistent state).
    case voteBeforeDurable = "vote-before-durable"
    /// Hand entries to the application before they commit.
    case applyBeforeCommit = "apply-before-commit"
    /// Accept appends from a leader of an older term (Raft Figure 2,
    /// AppendEntries receiver rule 1).
    case acceptStaleTermAppend = "accept-stale-append"
    /// Count every granted vote response, so that a duplicated one counts
    /// twice (Raft §5.2: each server grants at most one vote per term, and
    /// a candidate must count voters, not answers).
    case countDuplicateVote = "count-duplicate-vote"
}
