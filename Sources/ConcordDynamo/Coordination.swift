import ConcordClocks

/// A client request a member is coordinating: its phases, who was asked,
/// who answered, and what they sent. Volatile: a crash abandons it, and the
/// client's request times out.
struct Coordination: Sendable {
    /// Where the answer goes.
    enum Origin: Sendable, Hashable {
        /// To the driver's client, with this request id.
        case client(UInt64)
        /// To another member that forwarded the request, as its coordination.
        case forwarded(from: MemberID, coordination: UInt64)
    }

    enum Phase: Sendable, Hashable {
        /// Passed to a replica of the key; waiting for its answer.
        case forwarding
        /// Gathering R copies (a get, or the first phase of a write that must
        /// see the key first).
        case reading
        /// A write waiting for the coordinator's pending causal writes of
        /// the key to be shown before it is made.
        case queued
        /// Waiting for W acknowledgements.
        case writing
        /// A get has answered; still gathering copies to repair.
        case repairing
    }

    let id: UInt64
    let request: ClientRequest
    let origin: Origin
    let consistency: ResolvedConsistency
    /// The key's whole preference list when the request began.
    let preference: [MemberID]
    /// Its first N members.
    let replicas: [MemberID]
    /// The key's replicas under the previous ring, during a ring
    /// transition when they differ (see ``DynamoSettings/ringTransitionTicks``):
    /// a read also needs R of them, until it escalates.
    var previousReplicas: [MemberID] = []
    /// Set when the read escalated: the previous replicas no longer hold
    /// it up.
    var transitionWaived = false
    var phase: Phase
    /// The id of the current phase's messages.
    var operation: UInt64 = 0
    /// The tick at which to turn to more members.
    var escalateAt: UInt64
    /// The tick at which the request fails.
    let deadline: UInt64
    /// The session token, extended as the request learns.
    var session: SessionToken?

    /// Replicas a write was forwarded to, in order.
    var forwardedTo: [MemberID] = []
    /// When this member coordinates a write without being a replica of its
    /// key, the replica it stands in for (its copy is a hint for that one).
    var localStandIn: MemberID?

    /// Members asked in this phase, in order.
    var contacted: [MemberID] = []
    /// Fallbacks asked in place of a replica.
    var standsInFor: [MemberID: MemberID] = [:]
    /// Members that answered in this phase, in order.
    var answered: [MemberID] = []

    /// Reads: each answer's copy, in the order received.
    var responses: [(member: MemberID, object: StoredObject?)] = []
    /// Reads: the join of the visible copies received.
    var merged: StoredObject?
    /// Reads: the join of the pending writes shown to this session.
    var pendingShown: StoredObject?
    /// Reads: whether every member was asked (the session needed more).
    var askedEveryone = false
    /// Reads: repairs are sent at this tick at the latest.
    var repairUntil: UInt64 = 0

    /// Writes: the copy sent to the replicas.
    var written: StoredObject?
    /// Writes: the last-writer-wins timestamp, if any.
    var writtenTimestamp: HybridTimestamp?
    /// Writes: the dependencies the write waits for.
    var dependencies: [Dependency] = []
    /// Writes: whether the client has its answer (a sloppy write goes on
    /// until every replica or a stand-in has it).
    var replied = false

    init(
        id: UInt64, request: ClientRequest, origin: Origin, consistency: ResolvedConsistency, preference: [MemberID],
        now: UInt64, escalationTicks: Int, timeoutTicks: Int
    ) {
        self.id = id
        self.request = request
        self.origin = origin
        self.consistency = consistency
        self.preference = preference
        replicas = Array(preference.prefix(consistency.replicas))
        phase = .reading
        escalateAt = now + UInt64(escalationTicks)
        deadline = now + UInt64(timeoutTicks)
        session = request.session
    }

    /// Whether enough of the previous replicas answered (always, outside a
    /// ring transition or once waived).
    var previousAnswersSuffice: Bool {
        if previousReplicas.isEmpty || transitionWaived { return true }
        let answers = answered.filter { previousReplicas.contains($0) }.count
        return answers >= min(consistency.reads, previousReplicas.count)
    }

    /// Answers that count toward R or W: from replicas, and from fallbacks
    /// standing in for one.
    var countedAnswers: Int {
        answered.filter { replicas.contains($0) || standsInFor[$0] != nil }.count
    }
}
