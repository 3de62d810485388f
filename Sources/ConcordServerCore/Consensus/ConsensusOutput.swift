import ConcordPaxos
import ConcordRaft

/// A message between the consensus engines of two members.
public enum ConsensusMessage: Sendable, Hashable {
    /// A Raft message.
    case raft(RaftMessage)
    /// A Multi-Paxos message, addressed by member ids (its ballots name
    /// replicas by their place in the group, as `MultiPaxosEngine` maps them).
    case multiPaxos(MultiPaxosMessage)

    /// The receiving member.
    public var to: UInt64 {
        switch self {
        case .raft(let message): message.to
        case .multiPaxos(let message): message.to
        }
    }
}

/// Everything a `ConsensusEngine` asks its driver to do after one input.
///
/// ## The ordering contract
///
/// It is `RaftOutput`'s (and `MultiPaxosOutput`'s), which a driver follows
/// in this order, handling outputs in the order the engine returned them:
///
/// 1. `persist` (when present) is written to durable storage; when it and
///    every earlier request are durable the driver calls
///    `onPersisted(upTo: persist.sequence)`. Requests become durable in
///    sequence order.
/// 2. `messages` may be sent at once, in any order: none depends on state
///    not yet durable (those are held by the engine until `onPersisted`).
/// 3. `snapshotToInstall` (when present) replaces the application's state
///    before any entry of `committedEntries` is applied.
/// 4. `committedEntries` are applied in order; they are committed and
///    durable on this member.
/// 5. `readStates`: the read with `context` may be served once every entry
///    up to `index` is applied.
/// 6. `roleChange` reports a new role or leader.
public struct ConsensusOutput: Sendable {
    /// State to make durable, then report with `onPersisted(upTo:)`.
    public var persist: PersistRequest?
    /// Messages that may be sent now.
    public var messages: [ConsensusMessage] = []
    /// A snapshot from the leader to install first.
    public var snapshotToInstall: RaftSnapshot?
    /// Committed entries to apply, in order.
    public var committedEntries: [LogEntry] = []
    /// Reads that may be served once their index is applied.
    public var readStates: [ReadState] = []
    /// The role and leader, when either changed.
    public var roleChange: RoleState?

    /// An empty output.
    public init() {}
}

/// Why a `ConsensusEngine` refused a request. A refused request changes
/// nothing.
public enum ConsensusRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// This member does not lead; `leaderHint` is the leader it knows.
    case notLeader(leaderHint: MemberID?)
    /// A leadership transfer is under way; proposals wait for its outcome.
    case leadershipTransferInProgress
    /// A configuration change is not yet applied; one at a time.
    case configurationChangePending
    /// The engine has a fixed set of replicas: it cannot change members.
    case membershipChangesUnsupported(engine: String)
    /// Any other refusal, described by the engine.
    case refused(String)

    /// A readable description (an engine's own refusal reads as the
    /// engine wrote it).
    public var description: String {
        switch self {
        case .notLeader(let hint): "notLeader(leaderHint: \(hint.map { "Optional(\($0))" } ?? "nil"))"
        case .leadershipTransferInProgress: "leadershipTransferInProgress"
        case .configurationChangePending: "configurationChangePending"
        case .membershipChangesUnsupported(let engine): "\(engine) has a fixed set of replicas and cannot change members"
        case .refused(let reason): reason
        }
    }
}
