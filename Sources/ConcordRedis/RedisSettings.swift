import ConcordDynamo

/// What a Redis-protocol connection needs to know about its server.
public struct RedisSettings: Hashable, Sendable {
    /// The request parser's limits.
    public var limits = RequestParser.Limits()
    /// The consistency of a new connection, and what `DEFAULT` restores.
    public var defaultConsistency = RequestConsistency.quorum
    /// The most commands of one connection waiting for their replies; while
    /// that many are open, input stays unparsed (the shell should stop
    /// reading until ``RedisConnection/onReply(_:)`` frees room).
    public var commandsOpenMax = 1_024
    /// The server's name in HELLO's reply.
    public var serverName = "concord"
    /// Concord's version, in INFO.
    public var concordVersion = "0.1.0"
    /// The parameters `CONFIG GET` reports, by lower-case name.
    /// redis-benchmark asks for `save` and `appendonly` as it starts.
    public var configuration: [String: String] = ["save": "", "appendonly": "no", "databases": "1"]
    /// Extra `name:value` lines for INFO's Server section (the shell adds
    /// the process id, port, uptime, which a pure core does not know).
    public var infoLines: [String] = []

    /// The defaults.
    public init() {}
}
