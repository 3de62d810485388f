/// What the server knows about each command it answers: Redis's arity
/// convention and the fields `COMMAND`, `COMMAND INFO` and `COMMAND DOCS`
/// report (redis-cli 7 builds its help and hints from `COMMAND DOCS`).
public struct CommandSpec: Hashable, Sendable {
    /// The full name, lower case (`get`, `client|setname`).
    public var name: String
    /// Redis's arity: `n` exactly n arguments counting the name; `-n` at least n.
    public var arity: Int
    /// Command flags (`readonly`, `write`, `fast`, …).
    public var flags: [String]
    /// Positions of the first and last key and the step between keys (0 0 0: no keys).
    public var firstKey: Int
    public var lastKey: Int
    public var keyStep: Int
    /// Redis's command group (`string`, `set`, `hash`, `generic`, `connection`, `server`) or `concord`.
    public var group: String
    /// One line on what it does.
    public var summary: String
    /// The Redis (or Concord) version that introduced it.
    public var since: String
    /// Subcommands of a container command (`client`, `command`, `config`, `acl`, `concord.session`).
    public var subcommands: [CommandSpec]

    init(
        _ name: String, _ arity: Int, _ flags: [String], keys: (Int, Int, Int) = (0, 0, 0), group: String, since: String,
        _ summary: String, subcommands: [CommandSpec] = []
    ) {
        self.name = name
        self.arity = arity
        self.flags = flags
        (firstKey, lastKey, keyStep) = keys
        self.group = group
        self.summary = summary
        self.since = since
        self.subcommands = subcommands
    }

    /// True when `count` arguments (the name included) fit the arity.
    public func accepts(argumentCount count: Int) -> Bool {
        arity >= 0 ? count == arity : count >= -arity
    }

    /// The entry `COMMAND` and `COMMAND INFO` give (Redis 7's ten fields).
    public var info: RESPValue {
        .array([
            .bulk(name), .integer(Int64(arity)), .set(flags.map { .simpleString($0) }), .integer(Int64(firstKey)),
            .integer(Int64(lastKey)), .integer(Int64(keyStep)), .set([.simpleString("@" + group)]), .array([]),
            .array([]), .array(subcommands.map(\.info)),
        ])
    }

    /// The entry `COMMAND DOCS` gives.
    public var docs: RESPValue {
        var pairs = [
            RESPPair(.bulk("summary"), .bulk(summary)), RESPPair(.bulk("since"), .bulk(since)),
            RESPPair(.bulk("group"), .bulk(group)),
        ]
        if !subcommands.isEmpty {
            pairs.append(RESPPair(.bulk("subcommands"), .map(subcommands.map { RESPPair(.bulk($0.name), $0.docs) })))
        }
        return .map(pairs)
    }
}

/// The commands this server answers.
public enum CommandTable {
    /// Every command, by lower-case name.
    public static let byName: [String: CommandSpec] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The spec of `name` (any case), or nil.
    public static func spec(_ name: [UInt8]) -> CommandSpec? {
        byName[String(decoding: name, as: UTF8.self).lowercased()]
    }

    /// The subcommand `name` (any case) of `container`, or nil.
    public static func subcommand(_ name: [UInt8], of container: CommandSpec) -> CommandSpec? {
        let full = container.name + "|" + String(decoding: name, as: UTF8.self).lowercased()
        return container.subcommands.first { $0.name == full }
    }

    /// Every command, in the order `COMMAND` lists them.
    public static let all: [CommandSpec] = [
        // Connection.
        CommandSpec("ping", -1, ["fast"], group: "connection", since: "1.0.0", "Returns PONG, or the argument."),
        CommandSpec("echo", 2, ["fast"], group: "connection", since: "1.0.0", "Returns the given string."),
        CommandSpec(
            "hello", -1, ["noscript", "loading", "stale", "fast", "no_auth"], group: "connection", since: "6.0.0",
            "Chooses RESP2 or RESP3, authenticates and names the connection; returns the server's properties."),
        CommandSpec(
            "auth", -2, ["noscript", "loading", "stale", "fast", "no_auth"], group: "connection", since: "1.0.0",
            "Authenticates the connection as one of the cluster's etcd users (while etcd auth is disabled, every connection "
                + "is the default user and a password alone is refused, as Redis refuses it)."),
        CommandSpec(
            "client", -2, [], group: "connection", since: "2.4.0", "A container for connection commands.",
            subcommands: [
                CommandSpec("client|setname", 3, ["noscript", "loading", "stale"], group: "connection", since: "2.6.9",
                    "Sets the connection's name."),
                CommandSpec("client|getname", 2, ["noscript", "loading", "stale"], group: "connection", since: "2.6.9",
                    "Returns the connection's name."),
                CommandSpec("client|id", 2, ["noscript", "loading", "stale"], group: "connection", since: "5.0.0",
                    "Returns the connection's id."),
                CommandSpec("client|setinfo", 4, ["noscript", "loading", "stale"], group: "connection", since: "7.2.0",
                    "Records the client library's name or version (accepted and ignored)."),
            ]),
        CommandSpec("select", 2, ["loading", "stale", "fast"], group: "connection", since: "1.0.0",
            "Selects a database; only database 0 exists."),
        CommandSpec("quit", -1, ["noscript", "loading", "stale", "fast", "no_auth"], group: "connection", since: "1.0.0",
            "Closes the connection after replying OK."),
        // Server.
        CommandSpec(
            "command", -1, ["loading", "stale"], group: "server", since: "2.8.13", "Describes the commands.",
            subcommands: [
                CommandSpec("command|count", 2, ["loading", "stale"], group: "server", since: "2.8.13",
                    "Returns the number of commands."),
                CommandSpec("command|docs", -2, ["loading", "stale"], group: "server", since: "7.0.0",
                    "Returns documentation of the commands."),
                CommandSpec("command|info", -2, ["loading", "stale"], group: "server", since: "2.8.13",
                    "Describes the named commands."),
            ]),
        CommandSpec("info", -1, ["loading", "stale"], group: "server", since: "1.0.0",
            "Returns information about the server."),
        CommandSpec(
            "config", -2, [], group: "server", since: "2.0.0", "A container for configuration commands.",
            subcommands: [
                CommandSpec("config|get", -3, ["admin", "noscript", "loading", "stale"], group: "server", since: "2.0.0",
                    "Returns configuration parameters by exact name.")
            ]),
        CommandSpec(
            "acl", -2, [], group: "server", since: "6.0.0",
            "A container for access-list commands (users are etcd's, managed with etcdctl).",
            subcommands: [
                CommandSpec("acl|whoami", 2, ["noscript", "loading", "stale"], group: "server", since: "6.0.0",
                    "Returns the user the connection is authenticated as (`default` while etcd auth is disabled)."),
                CommandSpec("acl|users", 2, ["admin", "noscript", "loading", "stale"], group: "server", since: "6.0.0",
                    "Lists the etcd users, sorted (root only while etcd auth is enabled)."),
                CommandSpec("acl|help", 2, ["loading", "stale"], group: "server", since: "6.0.0",
                    "Lists the ACL subcommands offered."),
            ]),
        CommandSpec("dbsize", 1, ["readonly", "fast"], group: "server", since: "1.0.0",
            "Returns the number of keys: a walk over the ring, one replica per arc."),
        // Generic.
        CommandSpec("exists", -2, ["readonly", "fast"], keys: (1, -1, 1), group: "generic", since: "1.0.0",
            "Counts how many of the keys exist."),
        CommandSpec("type", 2, ["readonly", "fast"], keys: (1, 1, 1), group: "generic", since: "1.0.0",
            "Returns the type of a key's value."),
        CommandSpec("keys", 2, ["readonly"], group: "generic", since: "1.0.0",
            "Returns the keys matching a glob pattern: a walk over the ring, one replica per arc."),
        CommandSpec("scan", -2, ["readonly"], group: "generic", since: "2.8.0",
            "Iterates over the keys; the cursor is a ring position (MATCH, COUNT, TYPE as in Redis)."),
        CommandSpec("del", -2, ["write"], keys: (1, -1, 1), group: "generic", since: "1.0.0",
            "Deletes keys; returns how many existed."),
        CommandSpec("expire", -3, ["write", "fast"], keys: (1, 1, 1), group: "generic", since: "1.0.0",
            "Sets a key's time to live in seconds (a deadline merged last-writer-wins)."),
        CommandSpec("pexpire", -3, ["write", "fast"], keys: (1, 1, 1), group: "generic", since: "2.6.0",
            "Sets a key's time to live in milliseconds."),
        CommandSpec("ttl", 2, ["readonly", "fast"], keys: (1, 1, 1), group: "generic", since: "1.0.0",
            "Returns a key's time to live in seconds: -2 if absent, -1 without one."),
        CommandSpec("pttl", 2, ["readonly", "fast"], keys: (1, 1, 1), group: "generic", since: "2.6.0",
            "Returns a key's time to live in milliseconds: -2 if absent, -1 without one."),
        CommandSpec("persist", 2, ["write", "fast"], keys: (1, 1, 1), group: "generic", since: "2.2.0",
            "Removes a key's time to live; 1 if it had one."),
        // Strings.
        CommandSpec("get", 2, ["readonly", "fast"], keys: (1, 1, 1), group: "string", since: "1.0.0",
            "Returns a key's string value (one chosen value when concurrent writes left siblings)."),
        CommandSpec("set", -3, ["write", "denyoom"], keys: (1, 1, 1), group: "string", since: "1.0.0",
            "Sets a key's string value, overwriting what the coordinator has seen."),
        CommandSpec("mget", -2, ["readonly", "fast"], keys: (1, -1, 1), group: "string", since: "1.0.0",
            "Returns the values of several keys."),
        CommandSpec("mset", -3, ["write", "denyoom"], keys: (1, -1, 2), group: "string", since: "1.0.1",
            "Sets several keys (each on its own: not atomic)."),
        CommandSpec("incr", 2, ["write", "denyoom", "fast"], keys: (1, 1, 1), group: "string", since: "1.0.0",
            "Increments a counter by one."),
        CommandSpec("incrby", 3, ["write", "denyoom", "fast"], keys: (1, 1, 1), group: "string", since: "1.0.0",
            "Increments a counter."),
        CommandSpec("decr", 2, ["write", "denyoom", "fast"], keys: (1, 1, 1), group: "string", since: "1.0.0",
            "Decrements a counter by one."),
        CommandSpec("decrby", 3, ["write", "denyoom", "fast"], keys: (1, 1, 1), group: "string", since: "1.0.0",
            "Decrements a counter."),
        // Sets.
        CommandSpec("sadd", -3, ["write", "denyoom", "fast"], keys: (1, 1, 1), group: "set", since: "1.0.0",
            "Adds members to a set (add wins over a concurrent remove)."),
        CommandSpec("srem", -3, ["write", "fast"], keys: (1, 1, 1), group: "set", since: "1.0.0",
            "Removes the members the coordinator has seen from a set."),
        CommandSpec("smembers", 2, ["readonly"], keys: (1, 1, 1), group: "set", since: "1.0.0",
            "Returns a set's members."),
        CommandSpec("sismember", 3, ["readonly", "fast"], keys: (1, 1, 1), group: "set", since: "1.0.0",
            "Tells whether a value is a member of a set."),
        CommandSpec("scard", 2, ["readonly", "fast"], keys: (1, 1, 1), group: "set", since: "1.0.0",
            "Returns a set's size."),
        // Hashes.
        CommandSpec("hset", -4, ["write", "denyoom", "fast"], keys: (1, 1, 1), group: "hash", since: "2.0.0",
            "Sets fields of a hash."),
        CommandSpec("hget", 3, ["readonly", "fast"], keys: (1, 1, 1), group: "hash", since: "2.0.0",
            "Returns a field of a hash."),
        CommandSpec("hdel", -3, ["write", "fast"], keys: (1, 1, 1), group: "hash", since: "2.0.0",
            "Removes fields of a hash."),
        CommandSpec("hgetall", 2, ["readonly"], keys: (1, 1, 1), group: "hash", since: "2.0.0",
            "Returns every field and value of a hash."),
        CommandSpec("hlen", 2, ["readonly", "fast"], keys: (1, 1, 1), group: "hash", since: "2.0.0",
            "Returns the number of fields of a hash."),
        // Concord.
        CommandSpec("concord.consistency", -1, ["fast"], group: "concord", since: "0.1.0",
            "Shows or sets the connection's consistency: ONE | QUORUM | ALL | R level | W level | N n | SLOPPY | STRICT | CAUSAL | NOCAUSAL | DEFAULT."),
        CommandSpec("concord.with", -3, [], group: "concord", since: "0.1.0",
            "Runs one command with other consistency options: CONCORD.WITH options… command args…"),
        CommandSpec("concord.siblings", 2, ["readonly"], keys: (1, 1, 1), group: "concord", since: "0.1.0",
            "Returns every concurrent value of a string key and its causal context."),
        CommandSpec("concord.put", 4, ["write", "denyoom"], keys: (1, 1, 1), group: "concord", since: "0.1.0",
            "Writes a value in the causal context a read returned: it supersedes exactly what that read saw."),
        CommandSpec(
            "concord.session", -2, ["fast"], group: "concord", since: "0.1.0",
            "A container for session commands (read-your-writes, monotonic reads).",
            subcommands: [
                CommandSpec("concord.session|start", 2, ["fast"], group: "concord", since: "0.1.0",
                    "Starts a session: from now on the connection carries a session token."),
                CommandSpec("concord.session|token", 2, ["fast"], group: "concord", since: "0.1.0",
                    "Returns the session token, to resume the session on another connection."),
                CommandSpec("concord.session|resume", 3, ["fast"], group: "concord", since: "0.1.0",
                    "Continues the session of a token from CONCORD.SESSION TOKEN."),
                CommandSpec("concord.session|end", 2, ["fast"], group: "concord", since: "0.1.0",
                    "Ends the session: requests carry no token."),
            ]),
    ]
}
