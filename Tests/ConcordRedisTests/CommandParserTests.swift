import ConcordDynamo
import Testing

@testable import ConcordRedis

@Suite struct CommandParserTests {
    private func parse(_ words: String...) -> Result<RedisCommand, RedisError> {
        CommandParser.parse(words.map { ByteString($0) })
    }

    private func error(_ words: String...) -> String? {
        if case .failure(let error) = CommandParser.parse(words.map { ByteString($0) }) { return error.message }
        return nil
    }

    @Test func namesAreCaseInsensitive() {
        #expect(parse("get", "k") == .success(.get("k")))
        #expect(parse("GeT", "k") == .success(.get("k")))
        #expect(parse("PING") == .success(.ping(nil)))
        #expect(parse("client", "SETname", "me") == .success(.clientSetName("me")))
    }

    @Test func anUnknownCommandQuotesItsArgumentsAsRedisDoes() {
        #expect(error("FOO") == "ERR unknown command 'FOO', with args beginning with: ")
        #expect(error("foo", "a", "b") == "ERR unknown command 'foo', with args beginning with: 'a' 'b' ")
        let long = String(repeating: "x", count: 200)
        let expected = "ERR unknown command 'foo', with args beginning with: '" + String(repeating: "x", count: 128) + "' "
        #expect(error("foo", long, "more") == expected, "arguments are cut at 128 bytes")
    }

    @Test func arityErrorsNameTheCommandInLowerCase() {
        #expect(error("GET") == "ERR wrong number of arguments for 'get' command")
        #expect(error("GET", "a", "b") == "ERR wrong number of arguments for 'get' command")
        #expect(error("SET", "k") == "ERR wrong number of arguments for 'set' command")
        #expect(error("PING", "a", "b") == "ERR wrong number of arguments for 'ping' command")
        #expect(error("ECHO") == "ERR wrong number of arguments for 'echo' command")
        #expect(error("MSET", "a", "1", "b") == "ERR wrong number of arguments for 'mset' command")
        #expect(error("HSET", "h", "f") == "ERR wrong number of arguments for 'hset' command")
        #expect(error("HSET", "h", "f", "v", "g") == "ERR wrong number of arguments for 'hset' command")
        #expect(error("SADD", "s") == "ERR wrong number of arguments for 'sadd' command")
        #expect(error("INCRBY", "k") == "ERR wrong number of arguments for 'incrby' command")
        #expect(error("DBSIZE", "x") == "ERR wrong number of arguments for 'dbsize' command")
        #expect(error("EXPIRE", "k") == "ERR wrong number of arguments for 'expire' command")
        #expect(error("SELECT") == "ERR wrong number of arguments for 'select' command")
        #expect(error("CLIENT") == "ERR wrong number of arguments for 'client' command")
        #expect(error("CLIENT", "SETNAME") == "ERR wrong number of arguments for 'client|setname' command")
        #expect(error("CLIENT", "GETNAME", "x") == "ERR wrong number of arguments for 'client|getname' command")
        #expect(error("COMMAND", "COUNT", "x") == "ERR wrong number of arguments for 'command|count' command")
        #expect(error("CONFIG", "GET") == "ERR wrong number of arguments for 'config|get' command")
        #expect(error("CONCORD.PUT", "k", "v") == "ERR wrong number of arguments for 'concord.put' command")
    }

    @Test func anUnknownSubcommandPointsAtHelp() {
        #expect(error("CLIENT", "kill") == "ERR unknown subcommand 'kill'. Try CLIENT HELP.")
        #expect(error("COMMAND", "nope") == "ERR unknown subcommand 'nope'. Try COMMAND HELP.")
        #expect(error("CONFIG", "SET", "a", "b") == "ERR unknown subcommand 'SET'. Try CONFIG HELP.")
        #expect(error("CONCORD.SESSION", "x") == "ERR unknown subcommand 'x'. Try CONCORD.SESSION HELP.")
    }

    /// ACL offers WHOAMI, USERS and HELP; Redis's other subcommands
    /// (users are managed through etcdctl) get Redis 7's unknown-subcommand
    /// error, quoting the name as it was sent.
    @Test func aclOffersWhoamiUsersAndHelpAndRefusesTheRestAsUnknown() {
        #expect(parse("ACL", "WHOAMI") == .success(.aclWhoAmI))
        #expect(parse("acl", "whoami") == .success(.aclWhoAmI))
        #expect(parse("ACL", "users") == .success(.aclUsers))
        #expect(parse("Acl", "Help") == .success(.aclHelp))
        #expect(error("ACL") == "ERR wrong number of arguments for 'acl' command")
        #expect(error("ACL", "WHOAMI", "x") == "ERR wrong number of arguments for 'acl|whoami' command")
        #expect(error("ACL", "USERS", "x") == "ERR wrong number of arguments for 'acl|users' command")
        #expect(error("ACL", "SETUSER", "bob", "on") == "ERR unknown subcommand 'SETUSER'. Try ACL HELP.")
        #expect(error("ACL", "deluser", "bob") == "ERR unknown subcommand 'deluser'. Try ACL HELP.")
        #expect(error("ACL", "LIST") == "ERR unknown subcommand 'LIST'. Try ACL HELP.")
        #expect(error("ACL", "Foo") == "ERR unknown subcommand 'Foo'. Try ACL HELP.")
    }

    @Test func setOptionsCombineAsRedisAllows() {
        #expect(parse("SET", "k", "v") == .success(.set("k", "v", SetOptions())))
        var nx = SetOptions()
        nx.condition = .ifAbsent
        #expect(parse("SET", "k", "v", "nx") == .success(.set("k", "v", nx)))
        #expect(parse("SET", "k", "v", "NX", "NX") == .success(.set("k", "v", nx)))
        var xxGet = SetOptions()
        xxGet.condition = .ifPresent
        xxGet.returnsPrevious = true
        #expect(parse("SET", "k", "v", "XX", "GET") == .success(.set("k", "v", xxGet)))
        var keep = SetOptions()
        keep.keepsTimeToLive = true
        #expect(parse("SET", "k", "v", "KEEPTTL") == .success(.set("k", "v", keep)))
    }

    @Test func conflictingOrUnknownSetOptionsAreASyntaxError() {
        for options in [["NX", "XX"], ["XX", "NX"], ["EX", "1", "PX", "2"], ["PX", "1", "EX", "1"], ["EX"], ["KEEPTTL", "EX", "1"],
            ["EX", "1", "KEEPTTL"], ["EXAT", "1", "PXAT", "1"], ["FOO"], ["EX", "1", "EXAT", "2"]]
        {
            let words = ["SET", "k", "v"] + options
            #expect(
                CommandParser.parse(words.map { ByteString($0) }) == .failure(.syntax), "\(options)")
        }
    }

    @Test func setExpiriesAreCheckedThenCarriedToTheStore() {
        #expect(error("SET", "k", "v", "EX", "ten") == "ERR value is not an integer or out of range")
        #expect(error("SET", "k", "v", "EX", "0") == "ERR invalid expire time in 'set' command")
        #expect(error("SET", "k", "v", "PX", "-5") == "ERR invalid expire time in 'set' command")
        #expect(error("SET", "k", "v", "EX", "9223372036854776") == "ERR invalid expire time in 'set' command")
        func expiring(_ change: ExpiryChange) -> Result<RedisCommand, RedisError> {
            var options = SetOptions()
            options.expiry = change
            return .success(.set("k", "v", options))
        }
        #expect(parse("SET", "k", "v", "EX", "10") == expiring(.after(10_000)))
        #expect(parse("SET", "k", "v", "PX", "250") == expiring(.after(250)))
        #expect(parse("SET", "k", "v", "EXAT", "1700000000") == expiring(.at(1_700_000_000_000)))
        #expect(parse("SET", "k", "v", "PXAT", "1700000000123") == expiring(.at(1_700_000_000_123)))
        #expect(SetOptions().expiryChange == .clear, "a plain SET clears the time to live, as Redis's does")
        var keep = SetOptions()
        keep.keepsTimeToLive = true
        #expect(keep.expiryChange == .keep)
    }

    @Test func integersAreReadStrictly() {
        #expect(parse("INCRBY", "k", "-7") == .success(.increment("k", by: -7)))
        #expect(parse("DECRBY", "k", "7") == .success(.increment("k", by: -7)))
        #expect(parse("DECR", "k") == .success(.increment("k", by: -1)))
        for bad in ["1.5", "+1", " 1", "01", "", "9223372036854775808", "abc"] {
            #expect(error("INCRBY", "k", bad) == "ERR value is not an integer or out of range", "\(bad)")
        }
        #expect(parse("INCRBY", "k", "-9223372036854775808") == .success(.increment("k", by: .min)))
        #expect(error("DECRBY", "k", "-9223372036854775808") == "ERR decrement would overflow")
    }

    @Test func selectTakesOnlyDatabaseZeroLater() {
        #expect(parse("SELECT", "0") == .success(.select(0)))
        #expect(parse("SELECT", "5") == .success(.select(5)))
        #expect(error("SELECT", "x") == "ERR value is not an integer or out of range")
        #expect(error("SELECT", "4294967296") == "ERR value is not an integer or out of range")
    }

    @Test func helloChecksItsVersionAndOptions() {
        #expect(parse("HELLO") == .success(.hello(protocolVersion: nil, credentials: nil, name: nil)))
        #expect(parse("HELLO", "3") == .success(.hello(protocolVersion: .resp3, credentials: nil, name: nil)))
        #expect(error("HELLO", "4") == "NOPROTO unsupported protocol version")
        #expect(error("HELLO", "1") == "NOPROTO unsupported protocol version")
        #expect(error("HELLO", "three") == "ERR Protocol version is not an integer or out of range")
        #expect(
            parse("HELLO", "2", "AUTH", "default", "pw", "SETNAME", "app")
                == .success(.hello(protocolVersion: .resp2, credentials: Credentials(user: "default", password: "pw"), name: "app")))
        #expect(error("HELLO", "3", "AUTH", "u") == "ERR Syntax error in HELLO option 'AUTH'")
        #expect(error("HELLO", "3", "FOO") == "ERR Syntax error in HELLO option 'FOO'")
        #expect(error("HELLO", "3", "SETNAME", "a b") == "ERR Client names cannot contain spaces, newlines or special characters.")
    }

    @Test func authAndClientNamesFollowRedis() {
        #expect(parse("AUTH", "pw") == .success(.auth(user: nil, password: "pw")))
        #expect(parse("AUTH", "u", "pw") == .success(.auth(user: "u", password: "pw")))
        #expect(error("AUTH", "a", "b", "c") == "ERR syntax error")
        #expect(error("CLIENT", "SETNAME", "has space") == "ERR Client names cannot contain spaces, newlines or special characters.")
        #expect(parse("CLIENT", "SETNAME", "") == .success(.clientSetName("")))
        #expect(parse("CLIENT", "SETINFO", "lib-name", "redis-py") == .success(.clientSetInfo))
        #expect(error("CLIENT", "SETINFO", "color", "red") == "ERR Unrecognized option 'color'")
    }

    @Test func expireChecksItsOptionsThenCarriesTheirCondition() {
        #expect(error("EXPIRE", "k", "10", "NX", "XX") == "ERR NX and XX, GT or LT options at the same time are not compatible")
        #expect(error("EXPIRE", "k", "10", "GT", "LT") == "ERR GT and LT options at the same time are not compatible")
        #expect(error("EXPIRE", "k", "10", "SOON") == "ERR Unsupported option SOON")
        #expect(error("EXPIRE", "k", "ten") == "ERR value is not an integer or out of range")
        #expect(error("EXPIRE", "k", "9223372036854776") == "ERR invalid expire time in 'expire' command")
        #expect(parse("EXPIRE", "k", "10") == .success(.expire("k", .after(10_000), .always)))
        #expect(parse("EXPIRE", "k", "10", "nx") == .success(.expire("k", .after(10_000), .ifNone)))
        #expect(parse("EXPIRE", "k", "10", "XX") == .success(.expire("k", .after(10_000), .ifSet)))
        #expect(parse("EXPIRE", "k", "10", "XX", "GT") == .success(.expire("k", .after(10_000), .ifLater)))
        #expect(parse("EXPIRE", "k", "10", "LT", "XX") == .success(.expire("k", .after(10_000), .ifSetAndEarlier)))
        #expect(parse("EXPIRE", "k", "-1") == .success(.expire("k", .after(-1_000), .always)))
        #expect(parse("PEXPIRE", "k", "1500", "LT") == .success(.expire("k", .after(1_500), .ifEarlier)))
        #expect(parse("PERSIST", "k") == .success(.persist("k")))
        #expect(parse("TTL", "k") == .success(.ttl("k", milliseconds: false)))
        #expect(parse("PTTL", "k") == .success(.ttl("k", milliseconds: true)))
    }

    @Test func keyListingCommandsParseTheirOptionsAsRedisDoes() {
        #expect(parse("KEYS", "user:*") == .success(.keys(pattern: "user:*")))
        #expect(parse("DBSIZE") == .success(.dbSize))
        #expect(parse("SCAN", "0") == .success(.scan(cursor: 0, match: nil, count: 10, type: nil)))
        #expect(
            parse("SCAN", "18446744073709551615", "match", "a*", "COUNT", "5", "type", "SET")
                == .success(.scan(cursor: .max, match: "a*", count: 5, type: "set")))
        #expect(parse("SCAN", "0", "COUNT", "100000") == .success(.scan(cursor: 0, match: nil, count: 1_000, type: nil)))
        #expect(error("SCAN", "-1") == "ERR invalid cursor")
        #expect(error("SCAN", "abc") == "ERR invalid cursor")
        #expect(error("SCAN", "0", "COUNT", "0") == "ERR syntax error")
        #expect(error("SCAN", "0", "COUNT", "many") == "ERR value is not an integer or out of range")
        #expect(error("SCAN", "0", "MATCH") == "ERR syntax error")
        #expect(error("SCAN", "0", "LIMIT", "3") == "ERR syntax error")
    }

    @Test func globPatternsMatchAsRedisMatchesThem() {
        func match(_ pattern: String, _ string: String) -> Bool { GlobPattern.matches(Array(pattern.utf8), Array(string.utf8)) }
        #expect(match("*", ""))
        #expect(match("user:*", "user:1"))
        #expect(!match("user:*", "users"))
        #expect(match("h?llo", "hello") && !match("h?llo", "hllo"))
        #expect(match("h[ae]llo", "hallo") && !match("h[ae]llo", "hillo"))
        #expect(match("h[^e]llo", "hallo") && !match("h[^e]llo", "hello"))
        #expect(match("h[a-c]llo", "hbllo") && match("h[c-a]llo", "hbllo") && !match("h[a-c]llo", "hdllo"))
        #expect(match("a\\*b", "a*b") && !match("a\\*b", "axb"))
        #expect(match("*a*b*c*", "xxaxxbxxcxx") && !match("*a*b*c*", "xxaxxcxxbxx"))
        #expect(!match("Hello", "hello"), "bytes compare exactly")
    }

    @Test func consistencyOptionsParseInOrder() {
        #expect(parse("CONCORD.CONSISTENCY") == .success(.consistency(nil)))
        #expect(parse("CONCORD.CONSISTENCY", "one") == .success(.consistency(ConsistencyOptions(options: [.both(.one)]))))
        #expect(
            parse("CONCORD.CONSISTENCY", "R", "1", "W", "ALL", "N", "2", "STRICT")
                == .success(.consistency(ConsistencyOptions(options: [.read(.count(1)), .write(.all), .replicas(2), .sloppy(false)]))))
        #expect(error("CONCORD.CONSISTENCY", "SOMETIMES") == "ERR syntax error")
        #expect(error("CONCORD.CONSISTENCY", "R") == "ERR syntax error")
        #expect(error("CONCORD.CONSISTENCY", "R", "0") == "ERR value is not an integer or out of range")
        #expect(
            parse("CONCORD.WITH", "ALL", "GET", "k")
                == .success(.with(ConsistencyOptions(options: [.both(.all)]), .get("k"))))
        #expect(error("CONCORD.WITH", "GET", "k") == "ERR syntax error", "no option")
        #expect(error("CONCORD.WITH", "ONE", "ALL") == "ERR wrong number of arguments for 'concord.with' command")
        #expect(error("CONCORD.WITH", "ONE", "GET") == "ERR wrong number of arguments for 'get' command")
        #expect(error("CONCORD.WITH", "ONE", "QUIT") == "ERR CONCORD.WITH applies to data commands only")
    }

    @Test func contextsAndTokensMustDecode() {
        #expect(parse("CONCORD.PUT", "k", "v", "") == .success(.put("k", "v", context: nil)))
        #expect(error("CONCORD.PUT", "k", "v", "zz") == "ERR invalid causal context")
        #expect(error("CONCORD.PUT", "k", "v", "0") == "ERR invalid causal context")
        #expect(error("CONCORD.SESSION", "RESUME", "nothex") == "ERR invalid session token")
        #expect(error("CONCORD.SESSION", "RESUME", "ff") == "ERR invalid session token")
    }
}
