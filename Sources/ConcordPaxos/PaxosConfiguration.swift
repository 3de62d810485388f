/// The settings of one replica of a `PaxosNode`. Times are in ticks.
public struct PaxosConfiguration: Sendable, Hashable {
    /// This replica's id (1...`Ballot.replicaMax`).
    public var id: ReplicaID
    /// Every replica of the group, this one included; each is a proposer,
    /// an acceptor and a learner.
    public var replicas: [ReplicaID]
    /// The phase-1 quorum size; nil for a majority.
    public var phaseOneQuorum: Int?
    /// The phase-2 quorum size; nil for a majority.
    public var phaseTwoQuorum: Int?
    /// A proposer that has not completed an attempt within this many ticks
    /// (times one plus its consecutive failures, at most four) gives up the
    /// attempt and backs off (messages may be lost).
    public var attemptTimeoutTicks: Int = 6
    /// The longest random back-off, in ticks, after a failed attempt. The
    /// bound doubles with each consecutive failure from 2 up to this
    /// (exponential back-off, "Paxos Made Simple" §2.4). Zero retries at
    /// once, which lets duelling proposers preempt each other forever.
    public var backoffTicksMax: Int = 16
    /// A replica that knows a later slot is chosen but not an earlier one
    /// proposes a no-op there after this many ticks, to learn its value.
    public var gapTimeoutTicks: Int = 4
    /// The most decided values one answer carries to a replica that is
    /// behind.
    public var catchUpValuesMax: Int = 64
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
        if attemptTimeoutTicks < 1 { problems.append("attemptTimeoutTicks must be at least 1") }
        if backoffTicksMax < 0 { problems.append("backoffTicksMax must not be negative") }
        if gapTimeoutTicks < 1 { problems.append("gapTimeoutTicks must be at least 1") }
        if catchUpValuesMax < 1 { problems.append("catchUpValuesMax must be at least 1") }
        return problems
    }
}

/// The quorum sizes of a group, majorities by default; non-intersecting
/// sizes only under `PaxosBug.nonIntersectingQuorums`.
func quorumSizes(replicaCount: Int, phaseOne: Int?, phaseTwo: Int?, bugs: Set<PaxosBug>) -> Result<QuorumSizes, QuorumSizeError> {
    let majority = replicaCount / 2 + 1
    let one = phaseOne ?? majority
    let two = phaseTwo ?? majority
    do {
        return .success(try QuorumSizes(replicaCount: replicaCount, phaseOne: one, phaseTwo: two))
    } catch {
        if case .quorumsDoNotIntersect = error, bugs.contains(.nonIntersectingQuorums) {
            return .success(QuorumSizes(nonIntersecting: replicaCount, phaseOne: one, phaseTwo: two))
        }
        return .failure(error)
    }
}

/// The problems of a replica id and group.
func replicaProblems(id: ReplicaID, replicas: [ReplicaID]) -> [String] {
    var problems: [String] = []
    if id == 0 || id > Ballot.replicaMax { problems.append("id must be in 1...\(Ballot.replicaMax)") }
    if Set(replicas).count != replicas.count { problems.append("replicas must be distinct") }
    if !replicas.contains(id) { problems.append("replicas must include this replica's id \(id)") }
    if replicas.contains(where: { $0 == 0 || $0 > Ballot.replicaMax }) {
        problems.append("every replica id must be in 1...\(Ballot.replicaMax)")
    }
    return problems
}
