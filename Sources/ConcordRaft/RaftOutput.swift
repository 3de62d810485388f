/// Everything a `RaftNode` asks its driver to do after one input: the Raft
/// equivalent of etcd-io/raft's `Ready`.
///
/// ## The ordering contract
///
/// A driver handles an output in this order, and handles outputs in the
/// order the node returned them:
///
/// 1. `persist` (when present) is written to durable storage. The write may
///    proceed asynchronously; when it and every earlier request are durable,
///    the driver calls `RaftNode.onPersisted(upTo: persist.sequence)`.
///    Persist requests must become durable in sequence order.
/// 2. `messages` may be sent at once, in any order, before `persist` is
///    durable: none of them depends on unpersisted state (a leader may send
///    entries it has not yet written itself, thesis §10.2.1). Messages that
///    do depend on unpersisted state (vote grants, append acknowledgements,
///    a candidate's own vote) are held by the node and appear in the output
///    of the `onPersisted` call that makes their state durable.
/// 3. `snapshotToInstall` (when present) replaces the application's state
///    machine before any entry of `committedEntries` is applied.
/// 4. `committedEntries` are applied in order. They are committed and
///    durable on this replica. The node counts them as applied once
///    returned; entries of kind `.configurationChange` have already taken
///    effect in the node.
/// 5. `readStates`: the read with `context` may be served once the
///    application has applied every entry up to `index` (thesis §6.4).
///
/// The network may lose, duplicate and reorder messages; Raft tolerates it.
public struct RaftOutput: Sendable {
    /// State to make durable, then report with `onPersisted(upTo:)`.
    public var persist: PersistRequest?
    /// Messages that may be sent now.
    public var messages: [RaftMessage] = []
    /// A snapshot from the leader to install in the state machine first.
    public var snapshotToInstall: RaftSnapshot?
    /// Committed entries to apply, in order.
    public var committedEntries: [LogEntry] = []
    /// Reads that may be served once their index is applied.
    public var readStates: [ReadState] = []
    /// The role and leader, when either changed.
    public var roleChange: RoleState?
    /// The configuration, when applying an entry or a snapshot changed it.
    public var configuration: ConfigurationState?

    /// An empty output.
    public init() {}

    /// True when the output asks for nothing.
    public var isEmpty: Bool {
        persist == nil && messages.isEmpty && snapshotToInstall == nil && committedEntries.isEmpty
            && readStates.isEmpty && roleChange == nil && configuration == nil
    }
}

/// A read that may be served once `index` is applied (thesis §6.4).
public struct ReadState: Sendable, Hashable {
    /// The commit index the leader confirmed.
    public var index: UInt64
    /// The caller's identifier of the read.
    public var context: UInt64

    /// Creates a read state.
    public init(index: UInt64, context: UInt64) {
        self.index = index
        self.context = context
    }
}

/// The role of a replica (Raft §5.1, plus the pre-candidate of thesis §9.6).
public enum RaftRole: String, Sendable, Hashable {
    case follower, preCandidate, candidate, leader
}

/// A replica's role and the leader it knows.
public struct RoleState: Sendable, Hashable {
    /// The role.
    public var role: RaftRole
    /// The leader, when known.
    public var leader: MemberID?
    /// The term.
    public var term: UInt64

    /// Creates a role state.
    public init(role: RaftRole, leader: MemberID?, term: UInt64) {
        self.role = role
        self.leader = leader
        self.term = term
    }
}

/// Why a request to a `RaftNode` was refused. A refused request changes nothing.
public enum RaftRequestError: Error, Sendable, Hashable {
    /// This replica does not lead; `leaderHint` is the leader it knows.
    case notLeader(leaderHint: MemberID?)
    /// The proposal's payload exceeds `proposalBytesMax`.
    case proposalTooLarge(bytes: Int, limit: Int)
    /// The leader holds `uncommittedBytesMax` of uncommitted entries already.
    case tooManyUncommittedBytes
    /// A leadership transfer is under way; proposals wait for its outcome.
    case leadershipTransferInProgress
    /// A configuration change is not yet applied; one at a time.
    case configurationChangePending
    /// The configuration change cannot apply to the current configuration.
    case invalidConfigurationChange(ConfigurationChangeError)
    /// The target of a leadership transfer is not a voter of the group.
    case invalidTransferTarget(MemberID)
    /// A snapshot cannot be of an index not applied yet.
    case snapshotIndexNotApplied(requested: UInt64, applied: UInt64)
    /// An empty batch of proposals.
    case emptyProposal
}
