/// Everything a `MultiPaxosNode` asks its driver to do after one input, in
/// the shape of ConcordRaft's `RaftOutput`, so that a server can drive
/// either core the same way.
///
/// ## The ordering contract
///
/// A driver handles an output in this order, and handles outputs in the
/// order the node returned them:
///
/// 1. `persist` (when present) is written to durable storage: snapshot,
///    then entries, then hard state. The write may proceed asynchronously;
///    when it and every earlier request are durable the driver calls
///    `MultiPaxosNode.onPersisted(upTo: persist.sequence)`. Requests become
///    durable in sequence order.
/// 2. `messages` may be sent at once, in any order, before `persist` is
///    durable: none of them depends on unpersisted state (a leader may send
///    proposals it has not yet accepted durably itself). Messages that do
///    depend on it — promises, acceptances, heartbeat answers that vouch
///    for the promise, a candidate's own promise — are held by the node and
///    appear in the output of the `onPersisted` call that makes their state
///    durable ("Paxos Made Simple" §2.5).
/// 3. `snapshotToInstall` (when present) replaces the application's state
///    machine before any entry of `committedEntries` is applied.
/// 4. `committedEntries` are applied in order. They are chosen and durable
///    on this replica; no-ops among them change nothing.
/// 5. `readStates`: the read with `context` may be served once the
///    application has applied every slot up to `index`.
///
/// The network may lose, duplicate and reorder messages; Paxos tolerates it.
public struct MultiPaxosOutput: Sendable {
    /// State to make durable, then report with `onPersisted(upTo:)`.
    public var persist: MultiPaxosPersistRequest?
    /// Messages that may be sent now.
    public var messages: [MultiPaxosMessage] = []
    /// A snapshot to install in the state machine first.
    public var snapshotToInstall: MultiPaxosSnapshot?
    /// Chosen entries to apply, in order.
    public var committedEntries: [MultiPaxosLogEntry] = []
    /// Reads that may be served once their index is applied.
    public var readStates: [MultiPaxosReadState] = []
    /// The role and leader, when either changed.
    public var roleChange: MultiPaxosRoleState?

    /// An empty output.
    public init() {}

    /// True when the output asks for nothing.
    public var isEmpty: Bool {
        persist == nil && messages.isEmpty && snapshotToInstall == nil && committedEntries.isEmpty && readStates.isEmpty
            && roleChange == nil
    }
}

/// A read that may be served once `index` is applied.
public struct MultiPaxosReadState: Sendable, Hashable {
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

/// The role of a Multi-Paxos replica.
public enum MultiPaxosRole: String, Sendable, Hashable {
    /// An acceptor and learner following a leader (or waiting for one).
    case follower
    /// Running phase 1 with a ballot of its own.
    case candidate
    /// The distinguished proposer: phase 1 done for every later slot.
    case leader
}

/// A replica's role and the leader it knows.
public struct MultiPaxosRoleState: Sendable, Hashable {
    /// The role.
    public var role: MultiPaxosRole
    /// The leader, when known.
    public var leader: ReplicaID?
    /// The highest ballot promised.
    public var ballot: Ballot
}

/// Why a request to a `MultiPaxosNode` was refused. A refused request
/// changes nothing.
public enum MultiPaxosRequestError: Error, Sendable, Hashable {
    /// This replica does not lead; `leaderHint` is the leader it knows.
    case notLeader(leaderHint: ReplicaID?)
    /// The command exceeds `proposalBytesMax`.
    case proposalTooLarge(bytes: Int, limit: Int)
    /// The leader holds `uncommittedBytesMax` of unchosen commands already.
    case tooManyUncommittedBytes
    /// A leadership transfer is under way; proposals wait for its outcome.
    case leadershipTransferInProgress
    /// The target of a leadership transfer is not a replica of the group.
    case invalidTransferTarget(ReplicaID)
    /// A snapshot cannot be of an index not applied yet.
    case snapshotIndexNotApplied(requested: UInt64, applied: UInt64)
    /// An empty batch.
    case emptyProposal
}
