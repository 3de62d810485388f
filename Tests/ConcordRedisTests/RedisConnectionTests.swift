import ConcordDynamo
import ConcordFoundation
import Testing

@testable import ConcordRedis

@Suite struct RedisConnectionTests {
    private func bulk(_ text: String) -> RESPValue { .bulk(text) }

    @Test func connectionCommandsAnswerAtOnce() {
        var store = StoreHarness()
        #expect(store.one("PING") == .simpleString("PONG"))
        #expect(store.one("PING", "hi") == bulk("hi"))
        #expect(store.one("ECHO", "x y") == bulk("x y"))
        #expect(store.one("CLIENT", "ID") == .integer(1))
        #expect(store.one("CLIENT", "GETNAME") == .null)
        #expect(store.one("CLIENT", "SETNAME", "worker") == .ok)
        #expect(store.one("CLIENT", "GETNAME") == bulk("worker"))
        #expect(store.one("SELECT", "0") == .ok)
        #expect(store.one("SELECT", "1") == .error("ERR DB index is out of range"))
        #expect(store.one("AUTH", "pw") == .error(RedisError.noPasswordConfigured.message))
        #expect(store.one("AUTH", "default", "anything") == .ok)
        #expect(store.one("AUTH", "alice", "pw") == .error("WRONGPASS invalid username-password pair or user is disabled."))
        #expect(store.one("NOPE", "a") == .error("ERR unknown command 'NOPE', with args beginning with: 'a' "))
        #expect(store.sent.isEmpty, "none of these reached the store")
    }

    @Test func helloSwitchesToResp3AndRepliesWithAMap() {
        var store = StoreHarness()
        store.send(StoreHarness.multibulk(["HELLO", "3", "SETNAME", "app"]))
        let text = String(decoding: store.written[0], as: UTF8.self)
        #expect(text.hasPrefix("%7\r\n$6\r\nserver\r\n$7\r\nconcord\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"))
        _ = store.replies()
        #expect(store.connections[0].protocolVersion == .resp3)
        #expect(store.connections[0].name == "app")
        #expect(store.one("GET", "missing") == .null)
        #expect(String(decoding: store.written[0].suffix(3), as: UTF8.self) == "_\r\n", "RESP3 null")
        #expect(store.one("HELLO", "4") == .error("NOPROTO unsupported protocol version"))
        #expect(store.connections[0].protocolVersion == .resp3)
        store.send(StoreHarness.multibulk(["HELLO", "2"]))
        let resp2 = String(decoding: store.written[0].suffix(200), as: UTF8.self)
        #expect(resp2.contains("*14\r\n$6\r\nserver"), "HELLO 2's own reply is a flat array")
    }

    @Test func quitRepliesOkThenCloses() {
        var store = StoreHarness()
        store.send(Array("PING\r\nQUIT\r\nPING\r\n".utf8))
        #expect(store.replies() == [.simpleString("PONG"), .ok])
        #expect(store.closed[0])
        #expect(store.connections[0].onBytes(Array("PING\r\n".utf8)).isEmpty)
    }

    @Test func aProtocolErrorIsAnsweredAfterEarlierRepliesThenCloses() {
        var store = StoreHarness()
        store.send(StoreHarness.multibulk(["SET", "k", "v"]) + Array("PING\r\n*1\r\n$x\r\nPING\r\n".utf8))
        #expect(store.replies() == [.ok, .simpleString("PONG"), .error("ERR Protocol error: invalid bulk length")])
        #expect(store.closed[0])
    }

    @Test func stringsCountersAndKeysWorkAcrossMembers() {
        var store = StoreHarness()
        #expect(store.one("SET", "greeting", "hello") == .ok)
        #expect(store.one("GET", "greeting", on: 1) == bulk("hello"))
        #expect(store.one("GET", "nothing", on: 2) == .null)
        #expect(store.one("EXISTS", "greeting", "nothing", "greeting", on: 2) == .integer(2))
        #expect(store.one("TYPE", "greeting") == .simpleString("string"))
        #expect(store.one("TYPE", "nothing") == .simpleString("none"))
        #expect(store.one("TTL", "greeting") == .integer(-1))
        #expect(store.one("TTL", "nothing") == .integer(-2))
        #expect(store.one("MSET", "a", "1", "b", "2", "a", "3") == .ok)
        #expect(store.one("MGET", "a", "b", "nothing", on: 1) == .array([bulk("3"), bulk("2"), .null]))
        #expect(store.one("INCR", "hits") == .integer(1))
        #expect(store.one("INCRBY", "hits", "10", on: 1) == .integer(11))
        #expect(store.one("DECR", "hits", on: 2) == .integer(10))
        #expect(store.one("DECRBY", "hits", "4") == .integer(6))
        #expect(store.one("GET", "hits", on: 1) == bulk("6"), "a counter reads as a string")
        #expect(store.one("DEL", "greeting", "nothing", "greeting", "a") == .integer(2))
        #expect(store.one("GET", "greeting", on: 2) == .null)
        #expect(store.one("EXISTS", "greeting", "a") == .integer(0))
    }

    @Test func expiryFollowsRedis() {
        var store = StoreHarness()
        #expect(store.one("SET", "k", "v", "EX", "10") == .ok)
        #expect(store.one("TTL", "k", on: 1) == .integer(10))
        #expect(store.one("PTTL", "k", on: 2) == .integer(10_000))
        store.tick(100)
        #expect(store.one("TTL", "k") == .integer(9), "one second later")
        #expect(store.one("EXPIRE", "k", "100", "NX") == .integer(0))
        #expect(store.one("EXPIRE", "k", "100", "GT", on: 1) == .integer(1))
        #expect(store.one("TTL", "k", on: 2) == .integer(100))
        #expect(store.one("EXPIRE", "k", "50", "GT") == .integer(0))
        #expect(store.one("EXPIRE", "k", "50", "LT") == .integer(1))
        #expect(store.one("PERSIST", "k", on: 2) == .integer(1))
        #expect(store.one("PERSIST", "k") == .integer(0))
        #expect(store.one("TTL", "k", on: 1) == .integer(-1))
        #expect(store.one("EXPIRE", "k", "10", "XX") == .integer(0))
        #expect(store.one("EXPIRE", "missing", "10") == .integer(0))
        #expect(store.one("PERSIST", "missing") == .integer(0))
        #expect(store.one("TTL", "missing") == .integer(-2))
        #expect(store.one("PTTL", "missing") == .integer(-2))
        #expect(store.one("EXPIRE", "k", "10") == .integer(1))
        #expect(store.one("SET", "k", "w", "KEEPTTL") == .ok)
        #expect(store.one("TTL", "k", on: 1) == .integer(10), "KEEPTTL keeps it")
        #expect(store.one("INCR", "n") == .integer(1))
        #expect(store.one("PEXPIRE", "n", "5000") == .integer(1))
        #expect(store.one("INCR", "n") == .integer(2))
        #expect(store.one("PTTL", "n", on: 1) == .integer(5_000), "INCR keeps it")
        #expect(store.one("SET", "k", "x") == .ok)
        #expect(store.one("TTL", "k", on: 2) == .integer(-1), "a plain SET clears it")
        #expect(store.one("SET", "at", "v", "PXAT", String(store.now / 1_000_000 + 2_000)) == .ok)
        #expect(store.one("PTTL", "at") == .integer(2_000))
    }

    @Test func anExpiredKeyIsAbsentAndStartsAfresh() {
        var store = StoreHarness()
        #expect(store.one("SET", "short", "v", "PX", "250") == .ok)
        #expect(store.one("SADD", "tags", "a", "b") == .integer(2))
        #expect(store.one("PEXPIRE", "tags", "250", on: 1) == .integer(1))
        #expect(store.one("INCRBY", "n", "5") == .integer(5))
        #expect(store.one("EXPIRE", "n", "0") == .integer(1), "a deadline in the past deletes the key")
        #expect(store.one("EXISTS", "n") == .integer(0))
        #expect(store.one("EXISTS", "short", "tags", on: 2) == .integer(2))
        store.tick(30)
        #expect(store.one("GET", "short") == .null)
        #expect(store.one("EXISTS", "short", "tags", on: 1) == .integer(0))
        #expect(store.one("TTL", "short", on: 2) == .integer(-2))
        #expect(store.one("TYPE", "tags") == .simpleString("none"))
        #expect(store.one("SET", "short", "again", "NX") == .ok, "NX finds the expired key absent")
        #expect(store.one("SADD", "tags", "c", on: 2) == .integer(1))
        #expect(store.one("SMEMBERS", "tags", on: 1) == .array([bulk("c")]), "the expired members do not come back")
        #expect(store.one("INCR", "n", on: 1) == .integer(1))
        #expect(store.one("TTL", "tags") == .integer(-1))
        store.tick(200)
        #expect(store.one("GET", "short", on: 1) == bulk("again"))
        #expect(store.one("SMEMBERS", "tags", on: 2) == .array([bulk("c")]))
    }

    @Test func keysScanAndDbsizeListTheLiveKeysOfTheRing() {
        var store = StoreHarness()
        for index in 0..<12 { #expect(store.one("SET", "user:\(index)", "v", on: index % 3) == .ok) }
        #expect(store.one("SADD", "tags", "a") == .integer(1))
        #expect(store.one("HSET", "profile", "f", "v") == .integer(1))
        #expect(store.one("INCR", "hits") == .integer(1))
        #expect(store.one("SET", "gone", "v") == .ok)
        #expect(store.one("DEL", "gone") == .integer(1))
        #expect(store.one("INCR", "deleted-counter") == .integer(1))
        #expect(store.one("DEL", "deleted-counter") == .integer(1))
        #expect(store.one("SET", "expired", "v", "PX", "10") == .ok)
        store.tick(2)
        let live = Set((0..<12).map { "user:\($0)" } + ["tags", "profile", "hits"])
        #expect(store.one("DBSIZE", on: 1) == .integer(Int64(live.count)))
        #expect(Self.keys(store.one("KEYS", "*", on: 2)) == live)
        #expect(Self.keys(store.one("KEYS", "user:1*")) == ["user:1", "user:10", "user:11"])
        #expect(Self.keys(store.one("KEYS", "[pt]*")) == ["profile", "tags"])
        #expect(store.one("KEYS", "nothing*") == .array([]))
        // SCAN walks every live key exactly once, a few at a time.
        var cursor = "0"
        var seen: [String] = []
        var pages = 0
        repeat {
            guard case .array(let reply)? = store.one("SCAN", cursor, "COUNT", "2", on: pages % 3), reply.count == 2,
                case .bulkString(let next) = reply[0], case .array(let keys) = reply[1]
            else {
                Issue.record("not a SCAN reply")
                return
            }
            cursor = String(decoding: next, as: UTF8.self)
            seen += keys.compactMap { if case .bulkString(let key) = $0 { String(decoding: key, as: UTF8.self) } else { nil } }
            pages += 1
        } while cursor != "0" && pages < 1_000
        #expect(seen.count == live.count && Set(seen) == live, "every key once: \(seen)")
        #expect(pages > 1)
        #expect(Self.scanAll(&store, ["TYPE", "set"]) == ["tags"])
        #expect(Self.scanAll(&store, ["TYPE", "hash"]) == ["profile"])
        #expect(Self.scanAll(&store, ["MATCH", "user:?", "COUNT", "100"]).count == 10)
        #expect(store.one("SCAN", "x") == .error("ERR invalid cursor"))
    }

    private static func keys(_ reply: RESPValue?) -> Set<String> {
        guard case .array(let elements)? = reply else { return [] }
        return Set(elements.compactMap { if case .bulkString(let key) = $0 { String(decoding: key, as: UTF8.self) } else { nil } })
    }

    private static func scanAll(_ store: inout StoreHarness, _ options: [String]) -> Set<String> {
        var cursor = "0"
        var found: Set<String> = []
        var pages = 0
        repeat {
            let words = ["SCAN", cursor] + options
            store.send(StoreHarness.multibulk(words))
            guard case .array(let reply)? = store.replies().last, case .bulkString(let next) = reply[0] else { return [] }
            cursor = String(decoding: next, as: UTF8.self)
            found.formUnion(keys(reply[1]))
            pages += 1
        } while cursor != "0" && pages < 1_000
        return found
    }

    @Test func setNxXxAndGetFollowRedis() {
        var store = StoreHarness()
        #expect(store.one("SET", "k", "1", "XX") == .null, "XX on a missing key writes nothing")
        #expect(store.one("GET", "k") == .null)
        #expect(store.one("SET", "k", "1", "NX") == .ok)
        #expect(store.one("SET", "k", "2", "NX", on: 1) == .null)
        #expect(store.one("SET", "k", "3", "GET", on: 2) == bulk("1"))
        #expect(store.one("SET", "fresh", "x", "GET") == .null)
        #expect(store.one("GET", "k") == bulk("3"))
        #expect(store.one("SADD", "s", "m") == .integer(1))
        #expect(store.one("SET", "s", "v", "GET") == .error(RedisError.wrongType.message))
    }

    @Test func setsWork() {
        var store = StoreHarness()
        #expect(store.one("SADD", "s", "a", "b", "a") == .integer(2))
        #expect(store.one("SADD", "s", "b", "c", on: 1) == .integer(1))
        #expect(store.one("SMEMBERS", "s", on: 2) == .array([bulk("a"), bulk("b"), bulk("c")]), "a set is an array in RESP2")
        #expect(store.one("SISMEMBER", "s", "b") == .integer(1))
        #expect(store.one("SISMEMBER", "s", "z") == .integer(0))
        #expect(store.one("SCARD", "s") == .integer(3))
        #expect(store.one("SREM", "s", "a", "z") == .integer(1))
        #expect(store.one("SREM", "s", "z") == .integer(0))
        #expect(store.one("SMEMBERS", "s", on: 1) == .array([bulk("b"), bulk("c")]))
        #expect(store.one("SMEMBERS", "none") == .array([]))
        #expect(store.one("SCARD", "none") == .integer(0))
        #expect(store.one("TYPE", "s") == .simpleString("set"))
    }

    @Test func hashesWork() {
        var store = StoreHarness()
        #expect(store.one("HSET", "h", "f1", "v1", "f2", "v2") == .integer(2))
        #expect(store.one("HSET", "h", "f2", "w2", "f3", "v3", on: 1) == .integer(1))
        #expect(store.one("HGET", "h", "f2", on: 2) == bulk("w2"))
        #expect(store.one("HGET", "h", "nope") == .null)
        #expect(store.one("HLEN", "h") == .integer(3))
        #expect(
            store.one("HGETALL", "h")
                == .array([bulk("f1"), bulk("v1"), bulk("f2"), bulk("w2"), bulk("f3"), bulk("v3")]), "a flat array in RESP2")
        #expect(store.one("HDEL", "h", "f1", "nope") == .integer(1))
        #expect(store.one("HLEN", "h", on: 1) == .integer(2))
        #expect(store.one("HGETALL", "none") == .array([]))
        #expect(store.one("TYPE", "h") == .simpleString("hash"))
    }

    @Test func commandsOnTheWrongKindOfKeyGetWrongtype() {
        var store = StoreHarness()
        let wrongType = RESPValue.error("WRONGTYPE Operation against a key holding the wrong kind of value")
        #expect(store.one("SADD", "s", "a") == .integer(1))
        #expect(store.one("HSET", "h", "f", "v") == .integer(1))
        #expect(store.one("SET", "str", "v") == .ok)
        #expect(store.one("GET", "s") == wrongType)
        #expect(store.one("MGET", "s", "str") == .array([.null, bulk("v")]), "MGET shows nil for other types")
        #expect(store.one("HGET", "s", "f") == wrongType)
        #expect(store.one("SADD", "h", "x") == wrongType, "checked on the read before the write")
        #expect(store.one("HSET", "s", "f", "v") == wrongType)
        #expect(store.one("SADD", "str", "x") == wrongType)
        #expect(store.one("SMEMBERS", "str") == wrongType)
        #expect(store.one("INCR", "h") == wrongType, "the store refuses a counter over a hash")
        #expect(store.one("HGETALL", "h") == .array([bulk("f"), bulk("v")]), "nothing changed")
        #expect(store.one("SET", "s", "v", "GET") == wrongType, "SET … GET over a set, as Redis")
        #expect(store.one("SMEMBERS", "s") == .array([bulk("a")]), "nothing changed")
    }

    /// `SET` replaces a key of any kind, as Redis does (a new generation
    /// of the key in the store).
    @Test func setReplacesASetAHashAndACounter() {
        var store = StoreHarness()
        #expect(store.one("SADD", "s", "a") == .integer(1))
        #expect(store.one("HSET", "h", "f", "v") == .integer(1))
        #expect(store.one("INCRBY", "c", "5") == .integer(5))
        for key in ["s", "h", "c"] {
            #expect(store.one("SET", key, "text", on: 1) == .ok, "\(key)")
            #expect(store.one("GET", key, on: 2) == bulk("text"), "\(key)")
            #expect(store.one("TYPE", key) == .simpleString("string"), "\(key)")
        }
        #expect(store.one("SMEMBERS", "s") == .error("WRONGTYPE Operation against a key holding the wrong kind of value"))
        #expect(store.one("SET", "c", "41") == .ok)
        #expect(store.one("INCR", "c", on: 1) == .integer(42), "the new string continues as a counter")
    }

    @Test func getShowsTheGreatestSiblingAndSiblingsShowsThemAll() throws {
        var store = StoreHarness()
        // Two blind writes from two members: concurrent siblings.
        #expect(store.one("CONCORD.PUT", "cart", "milk", "")?.isError == false)
        #expect(store.one("CONCORD.PUT", "cart", "eggs", "", on: 1)?.isError == false)
        #expect(store.one("GET", "cart", on: 2) == bulk("milk"), "the greatest value in byte order")
        guard case .array(let fields)? = store.one("CONCORD.SIBLINGS", "cart", on: 2), fields.count == 6 else {
            Issue.record("expected a flat map")
            return
        }
        #expect(fields[0] == bulk("context"))
        #expect(fields[2] == bulk("values"))
        guard case .array(let values) = fields[3] else { return }
        #expect(Set(values) == [bulk("milk"), bulk("eggs")])
        #expect(fields[5] == .integer(0), "no deletion among them")
        guard case .bulkString(let context) = fields[1] else { return }
        let contextText = String(decoding: context, as: UTF8.self)
        // A write in that context supersedes both.
        guard case .array(let after)? = store.one("CONCORD.PUT", "cart", "milk+eggs", contextText) else {
            Issue.record("expected the written copy")
            return
        }
        #expect(after[3] == .array([bulk("milk+eggs")]))
        #expect(store.one("GET", "cart", on: 1) == bulk("milk+eggs"))
        #expect(store.one("CONCORD.SIBLINGS", "s-missing")?.isError == false)
        #expect(store.one("SADD", "aset", "x") == .integer(1))
        #expect(store.one("CONCORD.SIBLINGS", "aset") == .error(RedisError.wrongType.message))
    }

    @Test func repliesKeepRequestOrderWhenAnswersArriveOutOfOrder() {
        var store = StoreHarness()
        #expect(store.one("SET", "a", "1") == .ok)
        #expect(store.one("SET", "b", "2") == .ok)
        store.feedsAnswers = false
        store.send(StoreHarness.multibulk(["GET", "a"]) + StoreHarness.multibulk(["PING"]) + StoreHarness.multibulk(["GET", "b"])
            + StoreHarness.multibulk(["ECHO", "last"]))
        #expect(store.replies().isEmpty, "PING waits behind the first GET")
        #expect(store.answers.count == 2, "both reads ran concurrently")
        let later = store.answers.removeLast()
        store.feed(later)
        #expect(store.replies().isEmpty, "the second GET's answer waits for the first")
        let earlier = store.answers.removeLast()
        store.feed(earlier)
        #expect(store.replies() == [bulk("1"), .simpleString("PONG"), bulk("2"), bulk("last")])
    }

    @Test func aPipelinedReadOfAKeyWaitsForTheWriteBeforeIt() {
        var store = StoreHarness()
        store.feedsAnswers = false
        let before = store.sent.count
        store.send(StoreHarness.multibulk(["SET", "k", "new"]) + StoreHarness.multibulk(["GET", "k"])
            + StoreHarness.multibulk(["GET", "other"]))
        let operations = store.sent[before...].map(\.request.operation)
        #expect(operations.count == 2, "the GET of k waits; the GET of another key does not")
        #expect(operations.first.map { if case .put = $0 { true } else { false } } == true)
        store.feedsAnswers = true
        store.settle()
        #expect(store.replies() == [.ok, bulk("new"), .null])
    }

    @Test func answersToUnknownRequestsAreIgnored() {
        var connection = RedisConnection(id: 9)
        let output = connection.onReply(ClientReply(id: 77, outcome: .failed(.overloaded), session: nil))
        #expect(output.isEmpty)
    }

    @Test func tooManyOpenCommandsPauseParsing() {
        var settings = RedisSettings()
        settings.commandsOpenMax = 2
        var store = StoreHarness(settings: settings)
        store.feedsAnswers = false
        store.send((0..<3).flatMap { StoreHarness.multibulk(["GET", "k\($0)"]) })
        #expect(store.answers.count == 2)
        #expect(store.connections[0].unparsedByteCount > 0)
        store.feed(store.answers.removeFirst())
        store.settle()
        #expect(store.answers.count == 2, "room for the third")
        store.feedsAnswers = true
        store.settle()
        #expect(store.replies() == [.null, .null, .null])
    }

    @Test func consistencyIsChosenPerConnectionAndPerCommand() {
        var store = StoreHarness()
        #expect(store.one("CONCORD.CONSISTENCY", "ONE") == .ok)
        #expect(store.one("SET", "k", "v") == .ok)
        #expect(store.sent.last?.request.consistency == RequestConsistency(read: .one, write: .one))
        #expect(store.one("CONCORD.WITH", "ALL", "STRICT", "GET", "k") == bulk("v"))
        #expect(store.sent.last?.request.consistency == RequestConsistency(read: .all, write: .all, sloppy: false))
        #expect(store.one("GET", "k") == bulk("v"))
        #expect(store.sent.last?.request.consistency == RequestConsistency(read: .one, write: .one), "WITH lasted one command")
        #expect(
            store.one("CONCORD.CONSISTENCY")
                == .array([
                    bulk("n"), bulk("default"), bulk("r"), bulk("ONE"), bulk("w"), bulk("ONE"), bulk("sloppy"), .integer(1),
                    bulk("causal"), .integer(0), bulk("session"), .integer(0),
                ]))
        #expect(store.one("CONCORD.CONSISTENCY", "R", "2", "W", "1", "N", "3") == .ok)
        #expect(store.one("GET", "k") == bulk("v"))
        #expect(store.sent.last?.request.consistency == RequestConsistency(replicas: 3, read: .count(2), write: .count(1)))
        #expect(store.one("CONCORD.CONSISTENCY", "DEFAULT") == .ok)
        #expect(store.connections[0].consistency == .quorum)
        #expect(store.one("CONCORD.WITH", "N", "5", "GET", "k")?.isError == true, "N beyond the replication factor")
        #expect(store.one("CONCORD.WITH", "N", "5", "GET", "k") == .error("ERR invalid consistency: N=5 must be 1...3, the ring's replication factor"))
    }

    @Test func aStrictAllReadFailsWithAReplicaDown() {
        var store = StoreHarness()
        #expect(store.one("SET", "k", "v") == .ok)
        store.down = [2]
        store.send(StoreHarness.multibulk(["CONCORD.WITH", "ALL", "STRICT", "GET", "k"]))
        store.tick(30)
        guard case .error(let message)? = store.replies().first else {
            Issue.record("expected an error")
            return
        }
        #expect(message.hasPrefix("UNAVAILABLE 2 of 3 replicas answered in time"))
        #expect(store.one("CONCORD.WITH", "ONE", "GET", "k") == bulk("v"), "ONE is still available")
    }

    @Test func causalConsistencyNeedsASession() {
        var store = StoreHarness()
        let error = RESPValue.error("ERR CAUSAL needs a session: CONCORD.SESSION START first")
        #expect(store.one("CONCORD.CONSISTENCY", "CAUSAL") == error)
        #expect(store.one("CONCORD.WITH", "CAUSAL", "GET", "k") == error)
        #expect(store.one("CONCORD.SESSION", "START") == .ok)
        #expect(store.one("CONCORD.CONSISTENCY", "CAUSAL", "ONE") == .ok)
        #expect(store.one("SET", "k", "v") == .ok)
        #expect(store.sent.last?.request.consistency.causal == true)
        #expect(store.sent.last?.request.session != nil)
        #expect(store.one("GET", "k") == bulk("v"))
        #expect(store.one("CONCORD.SESSION", "END") == .error("ERR the connection's consistency is CAUSAL: choose NOCAUSAL first"))
    }

    @Test func aSessionTokenCarriesReadYourWritesToAnotherConnection() {
        var store = StoreHarness()
        #expect(store.one("CONCORD.SESSION", "TOKEN") == .null)
        #expect(store.one("CONCORD.SESSION", "START") == .ok)
        #expect(store.one("SET", "k", "v1") == .ok)
        #expect(store.sent.last?.request.session != nil)
        guard case .bulkString(let token)? = store.one("CONCORD.SESSION", "TOKEN") else {
            Issue.record("expected a token")
            return
        }
        #expect(store.connections[0].session?.version(of: "k").isEmpty == false, "the token saw the write")
        let text = String(decoding: token, as: UTF8.self)
        #expect(store.one("CONCORD.SESSION", "RESUME", text, on: 1) == .ok)
        #expect(store.connections[1].session == store.connections[0].session)
        #expect(store.one("CONCORD.WITH", "ONE", "GET", "k", on: 1) == bulk("v1"))
        #expect(store.sent.last?.request.session?.version(of: "k").isEmpty == false, "the read carries the token")
        #expect(store.one("CONCORD.SESSION", "END", on: 1) == .ok)
        #expect(store.one("GET", "k", on: 1) == bulk("v1"))
        #expect(store.sent.last?.request.session == nil)
    }

    @Test func aSessionStartedInAPipelineCoversTheCommandsAfterIt() {
        var store = StoreHarness()
        store.feedsAnswers = false
        store.send(
            StoreHarness.multibulk(["CONCORD.SESSION", "START"]) + StoreHarness.multibulk(["SET", "k", "v"])
                + StoreHarness.multibulk(["CONCORD.SESSION", "TOKEN"]))
        #expect(store.sent.last?.request.session != nil, "the SET carries the session")
        #expect(store.replies() == [.ok], "TOKEN waits for the SET")
        store.feedsAnswers = true
        store.settle()
        let replies = store.replies()
        #expect(replies.count == 2)
        #expect(replies.first == .ok)
        guard case .bulkString(let text)? = replies.last, let token = Hex.decode(text) else {
            Issue.record("expected a token")
            return
        }
        var reader = BinaryReader(token)
        let decoded = try? SessionToken(from: &reader)
        #expect(decoded?.version(of: "k").isEmpty == false, "the token includes the SET")
    }

    @Test func serverIntrospectionIsEnoughForRedisToolsToStart() {
        var store = StoreHarness()
        #expect(store.one("COMMAND", "COUNT") == .integer(Int64(CommandTable.all.count)))
        guard case .array(let docs)? = store.one("COMMAND", "DOCS", "get", "nope") else {
            Issue.record("COMMAND DOCS gives a map")
            return
        }
        #expect(docs.count == 2)
        #expect(docs[0] == bulk("get"))
        guard case .array(let all)? = store.one("COMMAND", "DOCS") else { return }
        #expect(all.count == 2 * CommandTable.all.count)
        guard case .array(let info)? = store.one("COMMAND", "INFO", "get", "nope") else { return }
        #expect(info.count == 2)
        #expect(info[1] == .nullArray)
        guard case .array(let getInfo) = info[0] else { return }
        #expect(getInfo.count == 10)
        #expect(getInfo[0] == bulk("get"))
        #expect(getInfo[1] == .integer(2))
        #expect(store.one("CONFIG", "GET", "save") == .array([bulk("save"), bulk("")]))
        #expect(store.one("CONFIG", "GET", "APPENDONLY", "nope") == .array([bulk("appendonly"), bulk("no")]))
        guard case .bulkString(let text)? = store.one("INFO") else {
            Issue.record("INFO is a bulk string in RESP2")
            return
        }
        #expect(String(decoding: text, as: UTF8.self).contains("redis_version:7.0.15\r\n"))
    }

    // What the store does not do yet, asserted so that a change shows here
    // (docs/redis.md, "What the store must add").

    @Test func incrOnAStringHoldingAnIntegerContinuesFromIt() {
        var store = StoreHarness()
        #expect(store.one("SET", "n", "10") == .ok)
        #expect(store.one("INCR", "n", on: 1) == .integer(11))
        #expect(store.one("INCRBY", "n", "5", on: 2) == .integer(16))
        #expect(store.one("GET", "n") == bulk("16"))
        #expect(store.one("TYPE", "n") == .simpleString("string"))
        #expect(store.one("SET", "negative", "-7") == .ok)
        #expect(store.one("DECR", "negative", on: 1) == .integer(-8))
        #expect(store.one("SET", "word", "abc") == .ok)
        #expect(store.one("INCR", "word", on: 2) == .error("ERR value is not an integer or out of range"))
        #expect(store.one("SET", "padded", "010") == .ok)
        #expect(store.one("INCR", "padded") == .error("ERR value is not an integer or out of range"), "string2ll refuses a leading zero")
        #expect(store.one("GET", "word", on: 1) == bulk("abc"), "a refused INCR changes nothing")
    }

    @Test func aDeletedSetOrHashTakesAString() {
        var store = StoreHarness()
        #expect(store.one("SADD", "k", "a") == .integer(1))
        #expect(store.one("DEL", "k") == .integer(1))
        #expect(store.one("EXISTS", "k") == .integer(0))
        #expect(store.one("SET", "k", "v", on: 1) == .ok)
        #expect(store.one("GET", "k", on: 2) == bulk("v"))
        #expect(store.one("HSET", "h", "f", "v") == .integer(1))
        #expect(store.one("DEL", "h", on: 1) == .integer(1))
        #expect(store.one("SET", "h", "w", on: 2) == .ok)
        #expect(store.one("GET", "h") == bulk("w"))
    }

    /// As in Redis, a deleted key may come back as any type.
    @Test func aDeletedKeyTakesAnyType() {
        var store = StoreHarness()
        #expect(store.one("SADD", "s", "a") == .integer(1))
        #expect(store.one("DEL", "s", on: 1) == .integer(1))
        #expect(store.one("INCR", "s", on: 2) == .integer(1))
        #expect(store.one("TYPE", "s") == .simpleString("string"))
        #expect(store.one("HSET", "h", "f", "v") == .integer(1))
        #expect(store.one("DEL", "h", on: 1) == .integer(1))
        #expect(store.one("SADD", "h", "x", on: 2) == .integer(1))
        #expect(store.one("SMEMBERS", "h") == .array([bulk("x")]))
        #expect(store.one("INCRBY", "c", "4") == .integer(4))
        #expect(store.one("DEL", "c", on: 1) == .integer(1))
        #expect(store.one("SADD", "c", "y", on: 2) == .integer(1))
        #expect(store.one("TYPE", "c") == .simpleString("set"))
        #expect(store.one("SET", "k", "1") == .ok)
        #expect(store.one("DEL", "k", on: 1) == .integer(1))
        #expect(store.one("SADD", "k", "z", on: 2) == .integer(1))
        #expect(store.one("INCR", "k") == .error(RedisError.wrongType.message), "a live set still refuses INCR")
        // Again in the next generation: a counter that replaced a set, deleted, takes a set.
        #expect(store.one("SADD", "r", "a", on: 2) == .integer(1))
        #expect(store.one("DEL", "r", on: 2) == .integer(1))
        #expect(store.one("INCR", "r", on: 2) == .integer(1))
        #expect(store.one("TYPE", "r") == .simpleString("string"))
        #expect(store.one("DEL", "r", on: 2) == .integer(1))
        #expect(store.one("SADD", "r", "b", on: 2) == .integer(1))
        #expect(store.one("SMEMBERS", "r", on: 1) == .array([bulk("b")]))
    }

    @Test func aDeletedCounterIsAbsentAndStartsAgainFromZero() {
        var store = StoreHarness()
        #expect(store.one("INCRBY", "c", "5") == .integer(5))
        #expect(store.one("DEL", "c", on: 1) == .integer(1))
        #expect(store.one("GET", "c", on: 2) == .null)
        #expect(store.one("EXISTS", "c") == .integer(0))
        #expect(store.one("TYPE", "c", on: 1) == .simpleString("none"))
        #expect(store.one("TTL", "c") == .integer(-2))
        #expect(store.one("DEL", "c") == .integer(0))
        #expect(store.one("INCR", "c", on: 2) == .integer(1), "a new counter, not 6")
        #expect(store.one("TTL", "c") == .integer(-1))
        store.tick(100)
        #expect(store.one("GET", "c", on: 1) == bulk("1"))
    }

    @Test func anIncrementPastEitherEndOfTheIntegersIsRefused() {
        var store = StoreHarness()
        let overflow = RESPValue.error("ERR increment or decrement would overflow")
        #expect(store.one("INCRBY", "big", "9223372036854775807") == .integer(.max))
        #expect(store.one("INCR", "big", on: 1) == overflow)
        #expect(store.one("GET", "big", on: 2) == bulk("9223372036854775807"), "a refused increment changes nothing")
        #expect(store.one("DECRBY", "big", "1") == .integer(.max - 1))
        #expect(store.one("INCRBY", "small", "-9223372036854775808") == .integer(.min))
        #expect(store.one("DECR", "small", on: 2) == overflow)
        #expect(store.one("SET", "edge", "9223372036854775807") == .ok)
        #expect(store.one("INCR", "edge", on: 1) == overflow, "a string at the edge is refused too")
    }
}
