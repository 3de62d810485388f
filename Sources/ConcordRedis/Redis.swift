/// The `Redis` namespace of Concord: the pure core of the Redis-protocol
/// face of the available store (docs/redis.md).
///
/// Three layers, each usable on its own:
/// - the RESP codec: ``RESPValue`` (every reply type of RESP2 and RESP3),
///   its encoder for a connection's ``RESPVersion``, a reply parser, and
///   ``RequestParser``, the incremental parser of client input (multibulk
///   and inline requests, pipelined or split over many reads, with Redis
///   7's limits and protocol errors);
/// - commands: ``RedisCommand``, parsed from an argument array with
///   Redis's exact arity and syntax errors (``CommandParser``);
/// - ``RedisConnection``: one client connection's state, turning bytes
///   into replies and into ``ConcordDynamo/ClientRequest``s for the local
///   member, and the member's answers back into replies, always in
///   request order.
///
/// Like every core it has no clock, no I/O and no randomness: a shell (the
/// SwiftNIO listener, a test) hands it bytes and store answers and performs
/// the ``ConnectionOutput`` it returns.
public enum Redis {
    /// The Redis version the server announces (HELLO, INFO): the protocol
    /// and command behaviour this core follows.
    public static let compatibleVersion = "7.0.15"
}
