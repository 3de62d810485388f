import ConcordRaft

/// The replication engine a `ServerCore` drives: a pure consensus core that
/// orders the member's proposals into one log every replica applies.
///
/// Both engines Concord has, Raft (`RaftNode`, through `RaftEngine`) and
/// Multi-Paxos (`MultiPaxosNode`, through `MultiPaxosEngine`), answer these
/// requests with the same output shape and the same ordering contract
/// (`ConsensusOutput`). The server core holds an `any ConsensusEngine` and
/// never asks which one it is: batching, reads, leases, watches, snapshots
/// and membership are written once, against this interface.
///
/// The shapes are the write-ahead log's: a persist request is the
/// Raft-shaped `PersistRequest` that `ConcordStorage` stores (term, vote and
/// commit; a snapshot; entries that replace every stored entry from the
/// first one's on), committed entries are `LogEntry` values, and a member
/// is named by its 64-bit member id. An engine whose own types differ maps
/// them at this boundary, in both directions.
///
/// Invariants every engine keeps:
/// - nothing changes when a request throws;
/// - a message that depends on state not yet durable is held until the
///   `onPersisted` call that makes it durable;
/// - committed entries are handed out once, in index order, and only once
///   durable on this replica.
public protocol ConsensusEngine: Sendable {
    // MARK: Views

    /// The current term: Raft's term, or Multi-Paxos's promised ballot as
    /// the write-ahead log stores it. Never decreases; at most one leader
    /// per value.
    var term: UInt64 { get }
    /// The member this one voted for in the current term, if the engine
    /// votes (Multi-Paxos promises instead: nil).
    var vote: MemberID? { get }
    /// This member's role.
    var role: RaftRole { get }
    /// The leader this member knows, if any.
    var leader: MemberID? { get }
    /// The highest committed (chosen) index.
    var commitIndex: UInt64 { get }
    /// The highest index handed out to apply.
    var appliedIndex: UInt64 { get }
    /// The last index of the log.
    var lastIndex: UInt64 { get }
    /// The index of the latest snapshot.
    var snapshotIndex: UInt64 { get }
    /// The configuration in force: voters and learners.
    var membership: ConfigurationState { get }
    /// True when the engine can change its voters and learners
    /// (`proposeConfigurationChange`); false for a fixed group.
    var changesMembers: Bool { get }
    /// On the leader, the highest index known replicated on `member`; nil
    /// when this member does not lead or does not track `member`.
    func replicatedIndex(of member: MemberID) -> UInt64?
    /// The committed entry at `index`, while the log still holds it.
    func entry(at index: UInt64) -> LogEntry?
    /// Invariant violations the engine tolerated because a test-only bug is on.
    var toleratedViolations: [String] { get }

    // MARK: Inputs

    /// Handles a message from a peer; a message of another engine changes
    /// nothing.
    mutating func step(_ message: ConsensusMessage) -> ConsensusOutput
    /// Advances time by one tick.
    mutating func tick() -> ConsensusOutput
    /// Starts an election (phase 1) now, as if the timeout had passed.
    mutating func campaign() -> ConsensusOutput
    /// Proposes commands; they take consecutive indexes and travel together
    /// (a follower forwards them to the leader it knows).
    mutating func propose(batch: [[UInt8]]) throws(ConsensusRequestError) -> ConsensusOutput
    /// Proposes a change of the voters and learners.
    mutating func proposeConfigurationChange(_ change: ConfigurationChange) throws(ConsensusRequestError) -> ConsensusOutput
    /// Asks for a linearizable read: a `ReadState` with `context` appears in
    /// a later output.
    mutating func readIndex(context: UInt64) throws(ConsensusRequestError) -> ConsensusOutput
    /// Asks the leader to hand leadership to `target`.
    mutating func transferLeadership(to target: MemberID) throws(ConsensusRequestError) -> ConsensusOutput
    /// Records a snapshot of the application's state after applying every
    /// entry up to `index` (the applied index), and discards those entries.
    mutating func compact(upTo index: UInt64, snapshotData: [UInt8]) throws(ConsensusRequestError) -> ConsensusOutput
    /// Every persist request up to `sequence` is durable.
    mutating func onPersisted(upTo sequence: UInt64) -> ConsensusOutput
}
