/// The settings of one Multi-Paxos replica. Times are in ticks: the driver
/// calls `MultiPaxosNode.tick()` at a fixed interval of its choice.
public struct MultiPaxosConfiguration: Sendable, Hashable {
    /// This replica's id (1...`Ballot.replicaMax`).
    public var id: ReplicaID
    /// Every replica (acceptor) of the group, this one included.
    public var replicas: [ReplicaID]
    /// The phase-1 quorum size (leader election); nil for a majority.
    public var phaseOneQuorum: Int?
    /// The phase-2 quorum size (choosing a value); nil for a majority.
    public var phaseTwoQuorum: Int?
    /// A follower that hears no leader for a random number of ticks in
    /// [`electionTimeoutTicks`, 2 × `electionTimeoutTicks`) runs phase 1.
    public var electionTimeoutTicks: Int = 10
    /// A leader sends heartbeats every `heartbeatIntervalTicks`; a
    /// candidate resends its prepares as often. Less than the election timeout.
    public var heartbeatIntervalTicks: Int = 1
    /// A leader that has not heard from a phase-2 quorum within an election
    /// timeout steps down, and followers ignore another replica's prepare
    /// while they hear from a leader.
    public var checkQuorum: Bool = true
    /// The most slots in one accept message.
    public var entriesPerMessageMax: Int = 64
    /// The most command bytes in one accept message (one larger command is
    /// still sent alone).
    public var bytesPerMessageMax: Int = 1 << 20
    /// The most accept messages in flight to one acceptor (pipelining).
    public var inflightMessagesMax: Int = 64
    /// The largest command, in bytes.
    public var proposalBytesMax: Int = 1 << 20
    /// The most command bytes a leader holds unchosen before it refuses
    /// proposals; 0 means no limit.
    public var uncommittedBytesMax: Int = 64 << 20
    /// The most command bytes of committed entries in one output.
    public var applyBytesPerOutputMax: Int = 4 << 20
    /// The bytes of snapshot data in one chunk.
    public var snapshotChunkBytesMax: Int = 256 << 10
    /// Forward proposals to the leader, or refuse them with its name.
    public var forwardsProposals: Bool = true
    /// A bound, in ticks, on how much faster any replica's clock may run
    /// than another's over an election timeout. When set (with
    /// `checkQuorum`), a leader serves reads from its lease without a round
    /// of heartbeats; when nil, reads always wait for a read quorum.
    public var clockDriftBoundTicks: Int? = nil
    /// Test-only: known bugs to re-introduce. Empty in every real deployment.
    public var testingBugs: Set<PaxosBug> = []

    /// Creates the settings of replica `id` of the group `replicas`.
    public init(id: ReplicaID, replicas: [ReplicaID]) {
        self.id = id
        self.replicas = replicas
    }

    /// The quorum sizes, when valid.
    public var quorums: Result<QuorumSizes, QuorumSizeError> {
        quorumSizes(replicaCount: replicas.count, phaseOne: phaseOneQuorum, phaseTwo: phaseTwoQuorum, bugs: testingBugs)
    }

    /// The problems that make these settings unusable; empty when valid.
    public var problems: [String] {
        var problems = replicaProblems(id: id, replicas: replicas)
        if case .failure(let error) = quorums { problems.append(error.description) }
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
