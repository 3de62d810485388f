/// Test-only switches that re-introduce known bugs into `ServerCore`, so
/// that the simulation sweep (`concord sim server`) and its checkers can be
/// shown to catch each of them. Production code never sets one.
public enum ServerBug: String, Sendable, Hashable, CaseIterable {
    /// The leader answers a write as soon as it proposes it, with the
    /// result computed on its own copy of the state, before a quorum has it
    /// durably (breaks Raft §5.3: an entry is committed, and may be
    /// acknowledged, only once a majority stores it). A leader that crashes
    /// or is deposed loses acknowledged writes.
    case acknowledgeBeforeQuorum = "ack-before-quorum"
    /// A linearizable range is served from the local store without a
    /// ReadIndex round (thesis §6.4): a deposed leader or a lagging
    /// follower answers with stale data.
    case localLinearizableRead = "local-linearizable-read"
    /// A lease revoke is applied on the leader's own state and acknowledged
    /// without going through the log: the other replicas (and the next
    /// leader) keep the lease's keys.
    case unreplicatedLeaseRevoke = "unreplicated-lease-revoke"
    /// The first entry a new leader applies after winning an election is
    /// not handed to the watch hub: its events never reach watchers.
    case skipWatchEventAfterLeaderChange = "skip-watch-event-after-leader-change"
    /// The duplicate filter is off: a proposal retried after a leader
    /// change is applied twice when both copies commit.
    case reapplyRetriedProposal = "reapply-retried-proposal"
}
