/// ZooKeeper's data model, replicated state machine, per-server session
/// layer and wire protocol (jute), as pure values.
///
/// The pieces, from the inside out:
/// - ``ZooKeeper/DataTree``: the znodes, their data, ``ZooKeeper/Stat`` and
///   ACLs, and which session owns which ephemeral node.
/// - ``ZooKeeper/StateMachine``: the data tree and the session table,
///   changed only by ``ZooKeeper/Transaction``s applied in log order; every
///   replica that applies the same transactions holds the same state, down
///   to the zxids. Reads are queries on a replica's state.
/// - ``ZooKeeper/WatchTable``: one server's watch registrations, per
///   session (watches are local to the server a client is connected to, as
///   in ZooKeeper).
/// - ``ZooKeeper/Server``: one server's connections, their pending
///   requests in FIFO order, reads served from the local replica, writes
///   proposed to the log, watch events fanned out; inputs in, effects out.
/// - The jute records (``ZooKeeper/ConnectRequest``, ``ZooKeeper/Request``,
///   ``ZooKeeper/Response`` and the rest) read and written with
///   ``ZooKeeper/JuteReader`` and ``ZooKeeper/JuteWriter``, which sit on
///   ConcordFoundation's byte codec.
///
/// Nothing here reads a clock, does I/O or draws unseeded randomness: time
/// arrives in transactions and inputs, randomness from a ``SeededRandom``
/// handed to the server at construction, and SHA-1 (for digest
/// authentication) from a function the shell injects. See docs/zookeeper.md.
public enum ZooKeeper {}
