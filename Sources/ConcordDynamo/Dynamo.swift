/// The `Dynamo` namespace of Concord: the core of a leaderless replicated
/// key-value store in the family of Amazon's Dynamo (DeCandia et al.,
/// "Dynamo: Amazon's Highly Available Key-value Store", SOSP 2007), Riak
/// and Cassandra. See docs/dynamo.md.
///
/// One ``DynamoNode`` runs on every member of a consistent-hash ``Ring``.
/// Whichever member receives a client request coordinates it: it asks the
/// key's preference list for `R` answers or `W` acknowledgements, chosen per
/// request (``RequestConsistency``), falls back to other members when
/// preferred ones stay silent (sloppy quorums with hinted handoff), repairs
/// the replicas a read found stale, and compares Merkle trees with the other
/// replicas of each key range in the background (active anti-entropy).
///
/// Values are versioned three ways, chosen per request: dotted version
/// vectors with siblings and causal contexts (Riak's model), last writer
/// wins by hybrid logical clocks, or CRDTs merged on the server (counter,
/// set, map, register, flag). A ``SessionToken`` carried by the client gives
/// read-your-writes, monotonic reads, monotonic writes and writes follow
/// reads; causal mode (after COPS, Lloyd et al., SOSP 2011) makes a write
/// visible at a replica only once its dependencies are.
///
/// The node is a value type with no clock, no I/O and no randomness: every
/// input arrives through a `mutating on…` handler with the local time, and
/// everything it wants done comes back as a ``DynamoOutput`` whose ordering
/// contract the driver follows.
public enum Dynamo {}
