/// Test-only switches that re-introduce known Paxos bugs, so that tests can
/// show the simulator's checks catch them. Empty in every real deployment.
/// Each names the rule it breaks; docs/paxos.md states which sweep catches
/// it within how many seeds.
public enum PaxosBug: String, Sendable, Hashable, CaseIterable {
    /// An acceptor accepts a proposal whose ballot is lower than one it has
    /// promised ("Paxos Made Simple" §2.2, P1a: an acceptor accepts a
    /// proposal numbered n only if it has not responded to a prepare
    /// request numbered greater than n).
    case acceptLowerBallot = "accept-lower-ballot"
    /// A proposer proposes its own value although a promise reported an
    /// accepted one ("Paxos Made Simple" §2.2, P2c: the value must be that
    /// of the highest-numbered proposal among the promises).
    case ignoreHighestAccepted = "ignore-highest-accepted"
    /// An acceptor answers a prepare or an accept before its promise or
    /// acceptance is durable, and forgets it in a crash ("Paxos Made
    /// Simple" §2.5: an acceptor records its intended response in stable
    /// storage before sending it).
    case answerBeforeDurable = "answer-before-durable"
    /// A new Multi-Paxos leader re-proposes only what its own log holds,
    /// ignoring the values the promises of phase 1 report for earlier
    /// slots ("Paxos Made Simple" §3: the new leader executes phase 1 for
    /// every slot it has not learned and proposes the values it hears of,
    /// filling gaps with no-ops).
    case skipPhaseOneRecovery = "skip-recovery"
    /// Fast rounds use classic-sized quorums, breaking the Quorum
    /// Requirement's part (b) ("Fast Paxos" §3.1): a recovering
    /// coordinator may then see two values that each could have been
    /// chosen.
    case fastQuorumTooSmall = "fast-quorum-too-small"
    /// Phase-1 and phase-2 quorums whose sizes add up to the group size
    /// only, so that a phase-1 quorum can miss a phase-2 quorum (Flexible
    /// Paxos: |Q1| + |Q2| > n).
    case nonIntersectingQuorums = "non-intersecting-quorums"
}
