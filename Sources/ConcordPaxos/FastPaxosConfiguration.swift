/// The settings of one Fast Paxos replica. Times are in ticks.
public struct FastPaxosConfiguration: Sendable, Hashable {
    /// This replica's id (1...`Ballot.replicaMax`).
    public var id: ReplicaID
    /// Every replica (acceptor) of the group, this one included.
    public var replicas: [ReplicaID]
    /// The classic quorum size; nil for a majority.
    public var classicQuorum: Int?
    /// The fast quorum size; nil for the smallest that meets the Quorum
    /// Requirement with the classic size.
    public var fastQuorum: Int?
    /// Open fast rounds when enough acceptors are heard from; when false
    /// every slot is decided by the coordinator in classic rounds.
    public var fastRoundsEnabled: Bool = true
    /// A follower that hears no coordinator for a random number of ticks in
    /// [`electionTimeoutTicks`, 2 × `electionTimeoutTicks`) runs phase 1.
    public var electionTimeoutTicks: Int = 10
    /// The coordinator sends heartbeats (with chosen values) this often.
    public var heartbeatIntervalTicks: Int = 1
    /// A coordinator whose commit index has not advanced for this many
    /// ticks while votes wait above it recovers through a classic round
    /// (lost votes, or slots nobody voted in).
    public var stallTimeoutTicks: Int = 5
    /// The most chosen values one commit message carries.
    public var valuesPerMessageMax: Int = 64
    /// The most client commands a candidate holds for the round it is
    /// about to open.
    public var heldCommandsMax: Int = 256
    /// Followers ignore another replica's prepare while they hear from a
    /// coordinator, and a coordinator that has not heard from a classic
    /// quorum within an election timeout steps down.
    public var checkQuorum: Bool = true
    /// Test-only: known bugs to re-introduce. Empty in every real deployment.
    public var testingBugs: Set<PaxosBug> = []

    /// Creates the settings of replica `id` of the group `replicas`.
    public init(id: ReplicaID, replicas: [ReplicaID]) {
        self.id = id
        self.replicas = replicas
    }

    /// The quorum sizes, when valid: majority classic quorums and the
    /// smallest fast quorum that meets the Quorum Requirement unless given
    /// (fast quorums as small as classic ones only under
    /// `PaxosBug.fastQuorumTooSmall`).
    public var quorums: Result<FastQuorumSizes, QuorumSizeError> {
        let count = replicas.count
        guard (1...QuorumSizes.replicaCountMax).contains(count) else { return .failure(.replicaCountOutOfRange(count)) }
        let classic = classicQuorum ?? count / 2 + 1
        guard (1...count).contains(classic) else { return .failure(.quorumOutOfRange(phase: 1, size: classic, replicaCount: count)) }
        if testingBugs.contains(.fastQuorumTooSmall) {
            return .success(FastQuorumSizes(unchecked: count, classic: classic, fast: fastQuorum ?? classic))
        }
        // The least fast quorum with classic + 2 × fast > 2n.
        let fast = fastQuorum ?? min(count, max(classic, (2 * count - classic) / 2 + 1))
        do {
            return .success(try FastQuorumSizes(replicaCount: count, classic: classic, fast: fast))
        } catch {
            return .failure(error)
        }
    }

    /// The problems that make these settings unusable; empty when valid.
    public var problems: [String] {
        var problems = replicaProblems(id: id, replicas: replicas)
        if case .failure(let error) = quorums { problems.append(error.description) }
        if electionTimeoutTicks < 2 { problems.append("electionTimeoutTicks must be at least 2") }
        if heartbeatIntervalTicks < 1 || heartbeatIntervalTicks >= electionTimeoutTicks {
            problems.append("heartbeatIntervalTicks must be at least 1 and less than electionTimeoutTicks")
        }
        if stallTimeoutTicks < 1 { problems.append("stallTimeoutTicks must be at least 1") }
        if valuesPerMessageMax < 1 { problems.append("valuesPerMessageMax must be at least 1") }
        if heldCommandsMax < 0 { problems.append("heldCommandsMax must not be negative") }
        return problems
    }
}
