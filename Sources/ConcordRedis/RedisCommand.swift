import ConcordClocks
import ConcordDynamo

/// A parsed command: arguments checked for arity and syntax, numbers read.
public indirect enum RedisCommand: Hashable, Sendable {
    // Connection.
    case ping(ByteString?)
    case echo(ByteString)
    case hello(protocolVersion: RESPVersion?, credentials: Credentials?, name: ByteString?)
    case auth(user: ByteString?, password: ByteString)
    case clientSetName(ByteString)
    case clientGetName
    case clientID
    case clientSetInfo
    case select(Int64)
    case quit
    // Server.
    case command
    case commandCount
    case commandDocs([ByteString])
    case commandInfo([ByteString])
    case info
    case configGet([ByteString])
    case aclWhoAmI
    case aclUsers
    case aclHelp
    // Keys.
    case exists([ByteString])
    case type(ByteString)
    case delete([ByteString])
    case ttl(ByteString, milliseconds: Bool)
    case persist(ByteString)
    case expire(ByteString, ExpiryChange, ExpiryCondition)
    case keys(pattern: ByteString)
    case scan(cursor: UInt64, match: ByteString?, count: Int, type: String?)
    case dbSize
    // Strings and counters.
    case get(ByteString)
    case set(ByteString, ByteString, SetOptions)
    case getMany([ByteString])
    case setMany([KeyValue])
    case increment(ByteString, by: Int64)
    // Sets.
    case setAdd(ByteString, [ByteString])
    case setRemove(ByteString, [ByteString])
    case setMembers(ByteString)
    case setIsMember(ByteString, ByteString)
    case setCardinality(ByteString)
    // Hashes.
    case hashSet(ByteString, [KeyValue])
    case hashGet(ByteString, ByteString)
    case hashDelete(ByteString, [ByteString])
    case hashGetAll(ByteString)
    case hashLength(ByteString)
    // Concord.
    case consistency(ConsistencyOptions?)
    case with(ConsistencyOptions, RedisCommand)
    case siblings(ByteString)
    case put(ByteString, ByteString, context: VersionVector?)
    case sessionStart
    case sessionToken
    case sessionResume(SessionToken)
    case sessionEnd

    /// The keys the command reads or writes, for ordering pipelined commands.
    public var keys: [ByteString] {
        switch self {
        case .exists(let keys), .delete(let keys), .getMany(let keys): keys
        case .type(let key), .ttl(let key, _), .persist(let key), .expire(let key, _, _), .get(let key), .set(let key, _, _), .increment(let key, _),
            .setAdd(let key, _), .setRemove(let key, _), .setMembers(let key), .setIsMember(let key, _),
            .setCardinality(let key), .hashSet(let key, _), .hashGet(let key, _), .hashDelete(let key, _),
            .hashGetAll(let key), .hashLength(let key), .siblings(let key), .put(let key, _, _):
            [key]
        case .setMany(let pairs): pairs.map(\.key)
        case .with(_, let command): command.keys
        default: []
        }
    }

    /// Whether the command changes the store.
    public var writes: Bool {
        switch self {
        case .delete, .set, .setMany, .increment, .setAdd, .setRemove, .hashSet, .hashDelete, .put, .persist, .expire: true
        case .with(_, let command): command.writes
        default: false
        }
    }
}

/// A user name and password.
public struct Credentials: Hashable, Sendable {
    /// The user (`default` when AUTH is given a password alone).
    public var user: ByteString
    /// The password.
    public var password: ByteString
}

/// A key (or field) and its value.
public struct KeyValue: Hashable, Sendable {
    public var key: ByteString
    public var value: ByteString
}

/// SET's options.
public struct SetOptions: Hashable, Sendable {
    /// NX (`.ifAbsent`), XX (`.ifPresent`) or neither.
    public var condition: WriteCondition = .always
    /// GET: reply with the value before the write.
    public var returnsPrevious = false
    /// KEEPTTL: the key keeps its time to live (else SET clears it).
    public var keepsTimeToLive = false
    /// EX, PX, EXAT or PXAT: the deadline to set.
    public var expiry: ExpiryChange?

    /// How the SET changes the key's time to live.
    public var expiryChange: ExpiryChange {
        expiry ?? (keepsTimeToLive ? .keep : .clear)
    }
}

/// Consistency options (``RedisCommand/consistency(_:)`` and ``RedisCommand/with(_:_:)``),
/// applied in order on top of the connection's consistency.
public struct ConsistencyOptions: Hashable, Sendable {
    /// One option.
    public enum Option: Hashable, Sendable {
        /// ONE, QUORUM or ALL for both reads and writes.
        case both(ConsistencyLevel)
        /// `R level`.
        case read(ConsistencyLevel)
        /// `W level`.
        case write(ConsistencyLevel)
        /// `N n`.
        case replicas(Int)
        /// SLOPPY (true) or STRICT (false).
        case sloppy(Bool)
        /// CAUSAL (true) or NOCAUSAL (false).
        case causal(Bool)
        /// DEFAULT: the server's default consistency.
        case reset
    }

    /// The options, in order.
    public var options: [Option]

    /// `base` with the options applied.
    public func applied(to base: RequestConsistency, default initial: RequestConsistency) -> RequestConsistency {
        var result = base
        for option in options {
            switch option {
            case .both(let level):
                result.read = level
                result.write = level
            case .read(let level): result.read = level
            case .write(let level): result.write = level
            case .replicas(let count): result.replicas = count
            case .sloppy(let sloppy): result.sloppy = sloppy
            case .causal(let causal): result.causal = causal
            case .reset: result = initial
            }
        }
        return result
    }
}
