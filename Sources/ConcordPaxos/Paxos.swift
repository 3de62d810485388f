/// The `Paxos` namespace of Concord: the Paxos family as pure cores.
///
/// - `PaxosNode`: a replica of a log of independent single-decree Paxos
///   instances (Lamport, "Paxos Made Simple", 2001, §2), leaderless: any
///   replica proposes, duelling proposers back off at random.
/// - `MultiPaxosNode`: Multi-Paxos ("Paxos Made Simple" §3) with a
///   distinguished leader that runs phase 1 once for every later slot,
///   pipelined and batched phase 2, compaction, snapshots, and reads by
///   read quorum or lease.
/// - `FastPaxosNode`: Fast Paxos (Lamport, "Fast Paxos", 2006), where
///   clients send straight to acceptors in fast rounds and the
///   coordinator recovers from collisions with a classic round.
/// - `QuorumSizes` and `FastQuorumSizes`: flexible phase-1 and phase-2
///   quorums (Howard, Malkhi and Spiegelman, "Flexible Paxos: Quorum
///   Intersection Revisited", 2016) and Fast Paxos's fast and classic
///   quorums, refused when they do not intersect as required.
///
/// Every core is a value type that changes only through its inputs and
/// reports what it wants done in an output value whose ordering contract
/// is documented on the type. See docs/paxos.md.
public enum Paxos {}

/// The identity of one replica. Zero is reserved for "no replica"; ids fit
/// in 16 bits (`Ballot.replicaMax`) because a ballot packs one. The same
/// type as ConcordRaft's `ReplicaID`.
public typealias ReplicaID = UInt64
