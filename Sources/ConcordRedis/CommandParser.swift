import ConcordClocks
import ConcordDynamo
import ConcordFoundation

/// Turns a request's arguments into a ``RedisCommand``, with Redis 7's
/// checks in Redis's order: the command exists (names in any case), then
/// its arity, then a container's subcommand, then its options and numbers.
public enum CommandParser {
    /// The command, or the error reply Redis would give.
    public static func parse(_ arguments: [ByteString]) -> Result<RedisCommand, RedisError> {
        do {
            return .success(try command(arguments.map(\.bytes)))
        } catch {
            return .failure(error)
        }
    }

    typealias Arguments = [[UInt8]]

    static func command(_ arguments: Arguments) throws(RedisError) -> RedisCommand {
        guard let first = arguments.first, let spec = CommandTable.spec(first) else {
            throw .unknownCommand(arguments)
        }
        guard spec.accepts(argumentCount: arguments.count) else { throw .arity(spec.name) }
        if !spec.subcommands.isEmpty {
            guard let sub = CommandTable.subcommand(arguments[1], of: spec) else {
                throw .unknownSubcommand(arguments[1], of: spec.name)
            }
            guard sub.accepts(argumentCount: arguments.count) else { throw .arity(sub.name) }
            return try subcommand(sub.name, arguments)
        }
        let key = arguments.count > 1 ? ByteString(arguments[1]) : ByteString([])
        let rest = arguments.dropFirst(2).map(ByteString.init)
        switch spec.name {
        case "ping":
            guard arguments.count <= 2 else { throw .arity("ping") }
            return .ping(arguments.count == 2 ? key : nil)
        case "echo": return .echo(key)
        case "hello": return try hello(arguments)
        case "auth":
            guard arguments.count <= 3 else { throw .syntax }
            if arguments.count == 2 { return .auth(user: nil, password: key) }
            return .auth(user: key, password: rest[0])
        case "select":
            guard let index = RedisInteger.parse(arguments[1]), Int32(exactly: index) != nil else { throw .notAnInteger }
            return .select(index)
        case "quit": return .quit
        case "info": return .info
        case "dbsize": return .dbSize
        case "exists": return .exists(arguments.dropFirst().map(ByteString.init))
        case "type": return .type(key)
        case "keys": return .keys(pattern: key)
        case "scan": return try scan(arguments)
        case "del": return .delete(arguments.dropFirst().map(ByteString.init))
        case "expire": return try expire(arguments, unit: 1000, name: "expire")
        case "pexpire": return try expire(arguments, unit: 1, name: "pexpire")
        case "ttl": return .ttl(key, milliseconds: false)
        case "pttl": return .ttl(key, milliseconds: true)
        case "persist": return .persist(key)
        case "get": return .get(key)
        case "set": return try set(arguments)
        case "mget": return .getMany(arguments.dropFirst().map(ByteString.init))
        case "mset":
            guard arguments.count % 2 == 1 else { throw .arity("mset") }
            return .setMany(pairs(arguments.dropFirst()))
        case "incr": return .increment(key, by: 1)
        case "decr": return .increment(key, by: -1)
        case "incrby":
            guard let amount = RedisInteger.parse(arguments[2]) else { throw .notAnInteger }
            return .increment(key, by: amount)
        case "decrby":
            guard let amount = RedisInteger.parse(arguments[2]) else { throw .notAnInteger }
            guard amount != .min else { throw .decrementOverflow }
            return .increment(key, by: -amount)
        case "sadd": return .setAdd(key, rest)
        case "srem": return .setRemove(key, rest)
        case "smembers": return .setMembers(key)
        case "sismember": return .setIsMember(key, rest[0])
        case "scard": return .setCardinality(key)
        case "hset":
            guard arguments.count % 2 == 0 else { throw .arity("hset") }
            return .hashSet(key, pairs(arguments.dropFirst(2)))
        case "hget": return .hashGet(key, rest[0])
        case "hdel": return .hashDelete(key, rest)
        case "hgetall": return .hashGetAll(key)
        case "hlen": return .hashLength(key)
        case "concord.consistency":
            guard arguments.count > 1 else { return .consistency(nil) }
            let (options, used) = try consistencyOptions(arguments.dropFirst())
            guard used == arguments.count - 1 else { throw .syntax }
            return .consistency(options)
        case "concord.with": return try with(arguments)
        case "concord.siblings": return .siblings(key)
        case "concord.put":
            return .put(key, rest[0], context: try context(arguments[3]))
        default:
            throw .unknownCommand(arguments)
        }
    }

    private static func subcommand(_ name: String, _ arguments: Arguments) throws(RedisError) -> RedisCommand {
        switch name {
        case "client|setname":
            let name = arguments[2]
            guard name.allSatisfy({ (33...126).contains($0) }) else { throw .badClientName }
            return .clientSetName(ByteString(name))
        case "client|getname": return .clientGetName
        case "client|id": return .clientID
        case "client|setinfo":
            let attribute = String(decoding: arguments[2], as: UTF8.self).lowercased()
            guard attribute == "lib-name" || attribute == "lib-ver" else {
                throw RedisError("ERR Unrecognized option '\(String(decoding: arguments[2], as: UTF8.self))'")
            }
            return .clientSetInfo
        case "command|count": return .commandCount
        case "command|docs": return .commandDocs(arguments.dropFirst(2).map(ByteString.init))
        case "command|info": return .commandInfo(arguments.dropFirst(2).map(ByteString.init))
        case "config|get": return .configGet(arguments.dropFirst(2).map(ByteString.init))
        case "acl|whoami": return .aclWhoAmI
        case "acl|users": return .aclUsers
        case "acl|help": return .aclHelp
        case "concord.session|start": return .sessionStart
        case "concord.session|token": return .sessionToken
        case "concord.session|end": return .sessionEnd
        case "concord.session|resume":
            guard let bytes = Hex.decode(arguments[2]) else { throw RedisError("ERR invalid session token") }
            var reader = BinaryReader(bytes)
            guard let token = try? SessionToken(from: &reader), reader.isAtEnd else {
                throw RedisError("ERR invalid session token")
            }
            return .sessionResume(token)
        default:
            throw .unknownSubcommand(Array(name.utf8), of: name)
        }
    }

    private static func pairs(_ arguments: ArraySlice<[UInt8]>) -> [KeyValue] {
        stride(from: arguments.startIndex, to: arguments.endIndex, by: 2).map {
            KeyValue(key: ByteString(arguments[$0]), value: ByteString(arguments[$0 + 1]))
        }
    }

    private static func word(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).uppercased()
    }

    /// `HELLO [protover [AUTH username password] [SETNAME clientname]]`
    /// (`helloCommand` in networking.c).
    private static func hello(_ arguments: Arguments) throws(RedisError) -> RedisCommand {
        guard arguments.count >= 2 else { return .hello(protocolVersion: nil, credentials: nil, name: nil) }
        guard let version = RedisInteger.parse(arguments[1]) else {
            throw RedisError("ERR Protocol version is not an integer or out of range")
        }
        guard let protocolVersion = RESPVersion(rawValue: Int(version)) else { throw .unsupportedProtocol }
        var credentials: Credentials?
        var name: ByteString?
        var index = 2
        while index < arguments.count {
            let more = arguments.count - 1 - index
            let option = word(arguments[index])
            if option == "AUTH", more >= 2 {
                credentials = Credentials(user: ByteString(arguments[index + 1]), password: ByteString(arguments[index + 2]))
                index += 3
            } else if option == "SETNAME", more >= 1 {
                guard arguments[index + 1].allSatisfy({ (33...126).contains($0) }) else { throw .badClientName }
                name = ByteString(arguments[index + 1])
                index += 2
            } else {
                throw RedisError("ERR Syntax error in HELLO option '\(String(decoding: arguments[index], as: UTF8.self))'")
            }
        }
        return .hello(protocolVersion: protocolVersion, credentials: credentials, name: name)
    }

    /// `SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL]`
    /// (`parseExtendedStringArgumentsOrReply` in t_string.c): a repeated
    /// option is accepted, conflicting ones are a syntax error, and an
    /// expiry is checked like Redis's before it is refused.
    private static func set(_ arguments: Arguments) throws(RedisError) -> RedisCommand {
        var options = SetOptions()
        var expiry: (word: String, value: [UInt8])?
        var index = 3
        while index < arguments.count {
            let option = word(arguments[index])
            let hasNext = index + 1 < arguments.count
            switch option {
            case "NX" where options.condition != .ifPresent: options.condition = .ifAbsent
            case "XX" where options.condition != .ifAbsent: options.condition = .ifPresent
            case "GET": options.returnsPrevious = true
            case "KEEPTTL" where expiry == nil: options.keepsTimeToLive = true
            case "EX", "PX", "EXAT", "PXAT":
                guard hasNext, !options.keepsTimeToLive, expiry == nil || expiry?.word == option else { throw .syntax }
                expiry = (option, arguments[index + 1])
                index += 1
            default:
                throw .syntax
            }
            index += 1
        }
        if let expiry {
            guard let amount = RedisInteger.parse(expiry.value) else { throw .notAnInteger }
            let seconds = expiry.word == "EX" || expiry.word == "EXAT"
            guard amount > 0, !seconds || amount <= Int64.max / 1000 else { throw .invalidExpireTime("set") }
            let milliseconds = seconds ? amount * 1000 : amount
            options.expiry = expiry.word.hasSuffix("AT") ? .at(milliseconds) : .after(milliseconds)
        }
        return .set(ByteString(arguments[1]), ByteString(arguments[2]), options)
    }

    /// `EXPIRE key seconds [NX | XX | GT | LT]` and `PEXPIRE key
    /// milliseconds …` (`expireGenericCommand` in expire.c): options first,
    /// then the number. The coordinator adds its own time.
    private static func expire(_ arguments: Arguments, unit: Int64, name: String) throws(RedisError) -> RedisCommand {
        var seen: Set<String> = []
        for argument in arguments.dropFirst(3) {
            let option = word(argument)
            guard ["NX", "XX", "GT", "LT"].contains(option) else {
                throw RedisError("ERR Unsupported option \(String(decoding: argument, as: UTF8.self))")
            }
            seen.insert(option)
        }
        if seen.contains("NX"), seen.count > 1 {
            throw RedisError("ERR NX and XX, GT or LT options at the same time are not compatible")
        }
        if seen.contains("GT"), seen.contains("LT") {
            throw RedisError("ERR GT and LT options at the same time are not compatible")
        }
        guard let amount = RedisInteger.parse(arguments[2]) else { throw .notAnInteger }
        guard amount <= Int64.max / unit, amount >= Int64.min / unit else { throw .invalidExpireTime(name) }
        let condition: ExpiryCondition =
            seen.contains("NX") ? .ifNone
            : seen.contains("GT") ? .ifLater
            : seen.contains("LT") ? (seen.contains("XX") ? .ifSetAndEarlier : .ifEarlier)
            : seen.contains("XX") ? .ifSet : .always
        return .expire(ByteString(arguments[1]), .after(amount * unit), condition)
    }

    /// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`
    /// (`scanGenericCommand` in db.c). The cursor is the ring position of
    /// the last key returned, plus one (0: start, and the end).
    private static func scan(_ arguments: Arguments) throws(RedisError) -> RedisCommand {
        guard let cursor = UInt64(String(decoding: arguments[1], as: UTF8.self)), arguments[1].first != UInt8(ascii: "+") else {
            throw RedisError("ERR invalid cursor")
        }
        var match: ByteString?
        var count = 10
        var type: String?
        var index = 2
        while index < arguments.count {
            guard index + 1 < arguments.count else { throw .syntax }
            let value = arguments[index + 1]
            switch word(arguments[index]) {
            case "MATCH": match = ByteString(value)
            case "COUNT":
                guard let number = RedisInteger.parse(value) else { throw .notAnInteger }
                guard number >= 1 else { throw .syntax }
                count = Int(min(number, Int64(DynamoNode.listKeysLimitMax)))
            case "TYPE": type = String(decoding: value, as: UTF8.self).lowercased()
            default: throw .syntax
            }
            index += 2
        }
        return .scan(cursor: cursor, match: match, count: count, type: type)
    }

    /// `CONCORD.WITH options… command args…`.
    private static func with(_ arguments: Arguments) throws(RedisError) -> RedisCommand {
        let (options, used) = try consistencyOptions(arguments.dropFirst())
        guard !options.options.isEmpty else { throw .syntax }
        let inner = Array(arguments.dropFirst(1 + used))
        guard !inner.isEmpty else { throw .arity("concord.with") }
        let command = try command(inner)
        switch command {
        case .with, .consistency, .hello, .quit, .sessionStart, .sessionEnd, .sessionResume, .sessionToken:
            throw RedisError("ERR CONCORD.WITH applies to data commands only")
        default:
            return .with(options, command)
        }
    }

    /// Reads consistency options from the front of `arguments`; returns them
    /// and how many arguments they took (it stops at the first argument that
    /// is not an option).
    static func consistencyOptions(_ arguments: ArraySlice<[UInt8]>) throws(RedisError) -> (ConsistencyOptions, Int) {
        var options: [ConsistencyOptions.Option] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let option = word(arguments[index])
            let next = index + 1 < arguments.endIndex ? arguments[index + 1] : nil
            switch option {
            case "ONE": options.append(.both(.one))
            case "QUORUM": options.append(.both(.quorum))
            case "ALL": options.append(.both(.all))
            case "SLOPPY": options.append(.sloppy(true))
            case "STRICT": options.append(.sloppy(false))
            case "CAUSAL": options.append(.causal(true))
            case "NOCAUSAL": options.append(.causal(false))
            case "DEFAULT": options.append(.reset)
            case "R", "W":
                guard let next else { throw .syntax }
                let level = try level(next)
                options.append(option == "R" ? .read(level) : .write(level))
                index += 1
            case "N":
                guard let next else { throw .syntax }
                guard let count = RedisInteger.parse(next), (1...Int64(Ring.membersMax)).contains(count) else {
                    throw .notAnInteger
                }
                options.append(.replicas(Int(count)))
                index += 1
            default:
                return (ConsistencyOptions(options: options), index - arguments.startIndex)
            }
            index += 1
        }
        return (ConsistencyOptions(options: options), index - arguments.startIndex)
    }

    private static func level(_ bytes: [UInt8]) throws(RedisError) -> ConsistencyLevel {
        switch word(bytes) {
        case "ONE": return .one
        case "QUORUM": return .quorum
        case "ALL": return .all
        default:
            guard let count = RedisInteger.parse(bytes), (1...Int64(Ring.membersMax)).contains(count) else {
                throw .notAnInteger
            }
            return .count(Int(count))
        }
    }

    /// A causal context as CONCORD.SIBLINGS gives it (hexadecimal), or nil
    /// for the empty string (a blind write).
    private static func context(_ bytes: [UInt8]) throws(RedisError) -> VersionVector? {
        guard !bytes.isEmpty else { return nil }
        guard let raw = Hex.decode(bytes) else { throw RedisError("ERR invalid causal context") }
        var reader = BinaryReader(raw)
        guard let context = try? VersionVector(from: &reader), reader.isAtEnd else {
            throw RedisError("ERR invalid causal context")
        }
        return context
    }
}
