/// Everything a `FastPaxosNode` asks its driver to do after one input.
///
/// ## The ordering contract
///
/// 1. `persist` (when present) is written to durable storage; when it and
///    every earlier request are durable the driver calls
///    `FastPaxosNode.onPersisted(upTo: persist.sequence)`.
/// 2. `messages` may be sent at once. Promises and votes, which report
///    durable state, are held by the node until `onPersisted` releases them.
/// 3. `chosen` decisions are applied in slot order, continuing the prefix
///    this replica has learned without gaps. A command may appear in two
///    slots (a client retried it, or recovery placed one a fast round also
///    chose): the application applies each command once.
public struct FastPaxosOutput: Sendable {
    /// State to make durable, then report with `onPersisted(upTo:)`.
    public var persist: FastPaxosPersistRequest?
    /// Messages that may be sent now.
    public var messages: [FastPaxosMessage] = []
    /// Chosen values to apply, in slot order.
    public var chosen: [FastPaxosDecision] = []
    /// The role and coordinator, when either changed.
    public var roleChange: FastPaxosRoleState?

    /// An empty output.
    public init() {}

    /// True when the output asks for nothing.
    public var isEmpty: Bool { persist == nil && messages.isEmpty && chosen.isEmpty && roleChange == nil }
}

/// The role of a Fast Paxos replica.
public enum FastPaxosRole: String, Sendable, Hashable {
    /// An acceptor and learner.
    case follower
    /// Running phase 1 with a ballot of its own.
    case candidate
    /// The coordinator (leader): it decides classic slots, opens fast
    /// rounds, learns fast ones and recovers from collisions.
    case coordinator
}

/// A replica's role and the coordinator it knows.
public struct FastPaxosRoleState: Sendable, Hashable {
    /// The role.
    public var role: FastPaxosRole
    /// The coordinator, when known.
    public var coordinator: ReplicaID?
    /// The highest ballot promised.
    public var ballot: Ballot
    /// True when the coordinator's current ballot is a fast round.
    public var isFast: Bool
}

/// Why a request to a `FastPaxosNode` was refused. A refused request
/// changes nothing.
public enum FastPaxosRequestError: Error, Sendable, Hashable {
    /// This replica takes no client command now: it is not in a fast round
    /// and does not coordinate; `coordinatorHint` is the coordinator it knows.
    case notInFastRound(coordinatorHint: ReplicaID?)
    /// A candidate already holds `heldCommandsMax` commands.
    case tooManyHeldCommands
}
