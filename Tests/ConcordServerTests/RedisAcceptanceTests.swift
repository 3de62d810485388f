import Foundation
import Testing

/// Runs `redis-cli -p port --no-raw args…` and returns what it printed
/// (standard output, then standard error), without the trailing newline.
/// `--no-raw` keeps the reply's type visible: `(integer) 1`, `(nil)`,
/// `(error) ERR …`, `"value"`.
func redisCLI(_ port: Int, _ arguments: [String]) async throws -> String {
    let result = try await runCommand("/usr/bin/redis-cli", ["-p", "\(port)", "--no-raw"] + arguments, timeoutSeconds: 20)
    var text = result.output + result.error
    while text.hasSuffix("\n") { text.removeLast() }
    return text
}

/// Runs `script` with Debian's Python (which has python3-redis) and
/// returns its output; throws when it exits non-zero.
func python(_ script: String, _ arguments: [String], timeoutSeconds: Double = 60) async throws -> String {
    let result = try await runCommand("/usr/bin/python3", ["-c", script] + arguments, timeoutSeconds: timeoutSeconds)
    guard result.status == 0 else {
        throw HarnessError(description: "python exited \(result.status): \(result.output)\n\(result.error)")
    }
    return result.output
}

extension ProcessCluster {
    /// The Redis port of node `index`.
    func redisPort(_ index: Int) -> Int { nodes[index].redisPort! }

    /// Waits until every node takes a write at QUORUM through its Redis
    /// listener (which needs its peers' stores too).
    func waitForRedis(seconds: Double) async throws {
        for index in nodes.indices {
            try await waitUntil("\(nodes[index].name) to take a QUORUM write over RESP", seconds: seconds) {
                try await redisCLI(redisPort(index), ["set", "ready:\(index)", "yes"]) == "OK"
            }
        }
    }
}

extension ProcessClusterTests {
    /// Every member speaks the Redis protocol over the leaderless store,
    /// checked with Debian's redis-cli, redis-benchmark and redis-py
    /// against three real processes.
    @Suite struct RedisAcceptanceTests {
        /// Asserts that `redis-cli` prints `expected` for `arguments` on node
        /// `index`.
        private func expect(
            _ cluster: ProcessCluster, _ index: Int, _ arguments: [String], _ expected: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let output = try await redisCLI(cluster.redisPort(index), arguments)
            #expect(output == expected, "redis-cli \(arguments.joined(separator: " "))", sourceLocation: sourceLocation)
        }

        @Test func redisCliGetsRedisRepliesAndErrorsFromEveryMember() async throws {
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)

                // Connection and server commands.
                try await expect(cluster, 0, ["ping"], "PONG")
                try await expect(cluster, 1, ["ping", "hi"], "\"hi\"")
                try await expect(cluster, 2, ["echo", "hello world"], "\"hello world\"")
                try await expect(cluster, 0, ["select", "0"], "OK")
                try await expect(cluster, 0, ["select", "1"], "(error) ERR DB index is out of range")
                let hello = try await redisCLI(cluster.redisPort(0), ["hello", "3"])
                #expect(hello.contains("\"server\"") && hello.contains("\"concord\"") && hello.contains("\"proto\""), "\(hello)")
                let info = try await redisCLI(cluster.redisPort(1), ["info"])
                #expect(info.contains("redis_version:7.0.15") && info.contains("concord_member:n2"), "\(info)")

                // A write on one member, read at QUORUM (the default) on
                // the others: R + W > N.
                try await expect(cluster, 0, ["set", "greeting", "hello"], "OK")
                try await expect(cluster, 1, ["get", "greeting"], "\"hello\"")
                try await expect(cluster, 2, ["concord.with", "quorum", "strict", "get", "greeting"], "\"hello\"")
                try await expect(cluster, 2, ["concord.with", "all", "get", "greeting"], "\"hello\"")
                try await expect(cluster, 1, ["set", "greeting", "bye", "xx"], "OK")
                try await expect(cluster, 2, ["set", "greeting", "again", "nx"], "(nil)")
                try await expect(cluster, 0, ["set", "greeting", "later", "get"], "\"bye\"")
                try await expect(cluster, 2, ["get", "greeting"], "\"later\"")
                try await expect(cluster, 0, ["get", "nothing-here"], "(nil)")

                // Several keys.
                try await expect(cluster, 0, ["mset", "a", "1", "b", "2"], "OK")
                try await expect(cluster, 1, ["mget", "a", "b", "missing"], "1) \"1\"\n2) \"2\"\n3) (nil)")
                try await expect(cluster, 2, ["exists", "a", "b", "missing", "a"], "(integer) 3")
                try await expect(cluster, 1, ["del", "a", "missing"], "(integer) 1")
                try await expect(cluster, 2, ["exists", "a"], "(integer) 0")
                try await expect(cluster, 0, ["type", "b"], "string")
                try await expect(cluster, 0, ["ttl", "b"], "(integer) -1")
                try await expect(cluster, 0, ["ttl", "missing"], "(integer) -2")

                // Counters (PN-counters), from every member.
                try await expect(cluster, 0, ["incr", "hits"], "(integer) 1")
                try await expect(cluster, 1, ["incrby", "hits", "10"], "(integer) 11")
                try await expect(cluster, 2, ["decr", "hits"], "(integer) 10")
                try await expect(cluster, 0, ["decrby", "hits", "4"], "(integer) 6")
                try await expect(cluster, 1, ["get", "hits"], "\"6\"")

                // Sets (OR-Sets) and hashes (CRDT maps).
                try await expect(cluster, 0, ["sadd", "colors", "red", "green", "red"], "(integer) 2")
                try await expect(cluster, 1, ["sadd", "colors", "blue", "green"], "(integer) 1")
                try await expect(cluster, 2, ["scard", "colors"], "(integer) 3")
                try await expect(cluster, 2, ["sismember", "colors", "blue"], "(integer) 1")
                try await expect(cluster, 0, ["srem", "colors", "red", "pink"], "(integer) 1")
                let members = try await redisCLI(cluster.redisPort(1), ["smembers", "colors"])
                let memberLines = members.split(separator: "\n").map(String.init)
                let memberNames: [String] = memberLines.map { line in String(line.split(separator: " ").last ?? "") }
                #expect(Set(memberNames) == Set(["\"green\"", "\"blue\""]), "\(members)")
                try await expect(cluster, 0, ["hset", "user", "name", "ada", "lang", "swift"], "(integer) 2")
                try await expect(cluster, 1, ["hget", "user", "name"], "\"ada\"")
                try await expect(cluster, 2, ["hlen", "user"], "(integer) 2")
                try await expect(cluster, 0, ["hdel", "user", "lang", "nope"], "(integer) 1")
                try await expect(cluster, 1, ["hgetall", "user"], "1) \"name\"\n2) \"ada\"")
                try await expect(cluster, 2, ["type", "user"], "hash")
                try await expect(cluster, 2, ["type", "colors"], "set")

                // Redis's errors.
                try await expect(cluster, 0, ["get", "colors"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
                try await expect(cluster, 1, ["sadd", "user", "x"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
                try await expect(cluster, 2, ["get"], "(error) ERR wrong number of arguments for 'get' command")
                try await expect(cluster, 0, ["hset", "user", "field"], "(error) ERR wrong number of arguments for 'hset' command")
                try await expect(
                    cluster, 1, ["frobnicate", "x", "y"], "(error) ERR unknown command 'frobnicate', with args beginning with: 'x' 'y' ")
                try await expect(cluster, 2, ["set", "k", "v", "nx", "xx"], "(error) ERR syntax error")
                try await expect(cluster, 0, ["incrby", "hits", "ten"], "(error) ERR value is not an integer or out of range")
                try await expect(cluster, 0, ["concord.consistency", "r", "five"], "(error) ERR value is not an integer or out of range")

                // Consistency per command: ONE reads answer from one replica.
                try await expect(cluster, 1, ["concord.with", "one", "get", "greeting"], "\"later\"")
            }
        }

        /// Expects `TTL key` on member `index` within `range`: the seconds
        /// left shrink while a loaded machine runs the clients.
        private func expectTTL(
            _ cluster: ProcessCluster, _ index: Int, _ key: String, within range: ClosedRange<Int>,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let output = try await redisCLI(cluster.redisPort(index), ["ttl", key])
            let seconds = output.hasPrefix("(integer) ") ? Int(output.dropFirst("(integer) ".count)) : nil
            #expect(seconds.map(range.contains) == true, "redis-cli ttl \(key): \(output), expected \(range)", sourceLocation: sourceLocation)
        }

        @Test func redisCliSeesTimesToLiveAndExpiryAsRedisDoes() async throws {
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)

                // A deadline set on one member is seen on the others, and
                // changed as Redis's options say.
                try await expect(cluster, 0, ["set", "session:1", "alice", "ex", "100"], "OK")
                try await expectTTL(cluster, 1, "session:1", within: 90...100)
                try await expect(cluster, 2, ["expire", "session:1", "50", "gt"], "(integer) 0")
                try await expect(cluster, 2, ["expire", "session:1", "50", "lt"], "(integer) 1")
                try await expectTTL(cluster, 0, "session:1", within: 40...50)
                try await expect(cluster, 1, ["expire", "session:1", "70", "nx"], "(integer) 0")
                try await expect(cluster, 1, ["persist", "session:1"], "(integer) 1")
                try await expect(cluster, 2, ["ttl", "session:1"], "(integer) -1")
                try await expect(cluster, 0, ["persist", "session:1"], "(integer) 0")
                try await expect(cluster, 0, ["get", "session:1"], "\"alice\"")
                try await expect(cluster, 1, ["expire", "nothing-here", "10"], "(integer) 0")
                try await expect(cluster, 1, ["ttl", "nothing-here"], "(integer) -2")
                try await expect(cluster, 2, ["expire", "session:1", "30"], "(integer) 1")
                try await expect(cluster, 2, ["set", "session:1", "bob", "keepttl"], "OK")
                try await expectTTL(cluster, 0, "session:1", within: 20...30)
                try await expect(cluster, 1, ["set", "session:1", "carol"], "OK")
                try await expect(cluster, 2, ["ttl", "session:1"], "(integer) -1")
                try await expect(cluster, 0, ["incr", "visits"], "(integer) 1")
                try await expect(cluster, 1, ["pexpire", "visits", "60000"], "(integer) 1")
                try await expect(cluster, 2, ["incr", "visits"], "(integer) 2")
                try await expectTTL(cluster, 0, "visits", within: 50...60)

                // A key written with a short time to live disappears from
                // every member once it passes, and not before.
                let written = ContinuousClock.now
                try await expect(cluster, 0, ["set", "temp", "soon-gone", "px", "6000"], "OK")
                try await expect(cluster, 1, ["get", "temp"], "\"soon-gone\"")
                try await expect(cluster, 2, ["exists", "temp"], "(integer) 1")
                try await waitUntil("temp to expire on every member", seconds: 30) {
                    for index in 0..<3 where try await redisCLI(cluster.redisPort(index), ["exists", "temp"]) != "(integer) 0" {
                        return false
                    }
                    return true
                }
                #expect(ContinuousClock.now - written >= .milliseconds(5_900), "gone only after its time to live")
                try await expect(cluster, 1, ["get", "temp"], "(nil)")
                try await expect(cluster, 2, ["ttl", "temp"], "(integer) -2")
                try await expect(cluster, 0, ["set", "temp", "back", "nx"], "OK")
                try await expect(cluster, 1, ["ttl", "temp"], "(integer) -1")
            }
        }

        @Test func redisCliIncrementsStringsGuardsKindsAndRefusesOverflowAsRedisDoes() async throws {
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                let wrongType = "(error) WRONGTYPE Operation against a key holding the wrong kind of value"

                // INCR on a string holding an integer continues from it.
                try await expect(cluster, 0, ["set", "n", "10"], "OK")
                try await expect(cluster, 1, ["incr", "n"], "(integer) 11")
                try await expect(cluster, 2, ["incrby", "n", "5"], "(integer) 16")
                try await expect(cluster, 0, ["get", "n"], "\"16\"")
                try await expect(cluster, 1, ["set", "word", "abc"], "OK")
                try await expect(cluster, 2, ["incr", "word"], "(error) ERR value is not an integer or out of range")
                try await expect(cluster, 0, ["get", "word"], "\"abc\"")

                // Updates of a key holding another kind are refused.
                try await expect(cluster, 0, ["sadd", "tags", "a"], "(integer) 1")
                try await expect(cluster, 1, ["incr", "tags"], wrongType)
                try await expect(cluster, 2, ["hset", "word", "f", "v"], wrongType)

                // Increments past either end of the integers are refused.
                try await expect(cluster, 0, ["incrby", "big", "9223372036854775807"], "(integer) 9223372036854775807")
                try await expect(cluster, 1, ["incr", "big"], "(error) ERR increment or decrement would overflow")
                try await expect(cluster, 2, ["get", "big"], "\"9223372036854775807\"")
                try await expect(cluster, 0, ["decrby", "small", "9223372036854775807"], "(integer) -9223372036854775807")
                try await expect(cluster, 1, ["decrby", "small", "2"], "(error) ERR increment or decrement would overflow")

                // A deleted counter is gone, and starts again from zero.
                try await expect(cluster, 2, ["incrby", "hits", "5"], "(integer) 5")
                try await expect(cluster, 0, ["del", "hits"], "(integer) 1")
                try await expect(cluster, 1, ["exists", "hits"], "(integer) 0")
                try await expect(cluster, 2, ["get", "hits"], "(nil)")
                try await expect(cluster, 0, ["type", "hits"], "none")
                try await expect(cluster, 1, ["incr", "hits"], "(integer) 1")

                // A deleted set takes a counter, as a deleted Redis key
                // takes any type. (One coordinator writes, so its copy
                // holds the deletion; another member reads.)
                try await expect(cluster, 2, ["sadd", "reborn", "a"], "(integer) 1")
                try await expect(cluster, 2, ["del", "reborn"], "(integer) 1")
                try await expect(cluster, 2, ["incr", "reborn"], "(integer) 1")
                try await expect(cluster, 0, ["type", "reborn"], "string")
                try await expect(cluster, 1, ["get", "reborn"], "\"1\"")

                // SET replaces a set, a hash or a counter, as Redis does,
                // and a deleted hash takes a string; SET … GET over a set
                // stays WRONGTYPE.
                try await expect(cluster, 2, ["set", "tags", "x", "get"], wrongType)
                try await expect(cluster, 0, ["set", "tags", "now-a-string"], "OK")
                try await expect(cluster, 1, ["type", "tags"], "string")
                try await expect(cluster, 2, ["get", "tags"], "\"now-a-string\"")
                try await expect(cluster, 0, ["hset", "profile", "f", "v"], "(integer) 1")
                try await expect(cluster, 1, ["set", "profile", "flat"], "OK")
                try await expect(cluster, 2, ["get", "profile"], "\"flat\"")
                try await expect(cluster, 0, ["hset", "gone", "f", "v"], "(integer) 1")
                try await expect(cluster, 1, ["del", "gone"], "(integer) 1")
                try await expect(cluster, 2, ["set", "gone", "back"], "OK")
                try await expect(cluster, 0, ["get", "gone"], "\"back\"")
                try await expect(cluster, 1, ["set", "hits", "41"], "OK")
                try await expect(cluster, 2, ["incr", "hits"], "(integer) 42")
            }
        }

        @Test func redisCliListsKeysWithKeysScanAndDbsize() async throws {
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                func lines(_ text: String) -> Set<String> {
                    Set(text.split(separator: "\n").map { line in
                        var word = String(line.split(separator: " ").last ?? "")
                        if word.hasPrefix("\""), word.hasSuffix("\""), word.count >= 2 { word = String(word.dropFirst().dropLast()) }
                        return word
                    })
                }
                let written = (0..<25).map { "list:\($0)" }
                for (index, key) in written.enumerated() {
                    try await expect(cluster, index % 3, ["set", key, "v"], "OK")
                }
                try await expect(cluster, 0, ["sadd", "list:set", "a"], "(integer) 1")
                try await expect(cluster, 1, ["incr", "list:counter"], "(integer) 1")
                try await expect(cluster, 2, ["set", "list:gone", "v"], "OK")
                try await expect(cluster, 0, ["del", "list:gone"], "(integer) 1")
                let expected = Set(written + ["list:set", "list:counter"])
                // waitForRedis wrote ready:0, ready:1 and ready:2.
                try await expect(cluster, 1, ["dbsize"], "(integer) \(expected.count + 3)")
                let keys = try await redisCLI(cluster.redisPort(2), ["keys", "list:*"])
                #expect(lines(keys) == expected, "\(keys)")
                let digits = try await redisCLI(cluster.redisPort(0), ["keys", "list:1?"])
                #expect(lines(digits) == Set((10..<20).map { "list:\($0)" }), "\(digits)")
                // redis-cli's own SCAN loop follows the cursor to its end.
                let scanned = try await runCommand(
                    "/usr/bin/redis-cli", ["-p", "\(cluster.redisPort(1))", "--scan", "--pattern", "list:*"], timeoutSeconds: 20)
                let scannedLines = scanned.output.split(separator: "\n").map(String.init)
                #expect(scannedLines.count == expected.count && lines(scanned.output) == expected, "\(scanned.output)")
                // SCAN by hand, two keys a page, filtered by type.
                var cursor = "0"
                var sets: Set<String> = []
                var pages = 0
                repeat {
                    let page = try await redisCLI(cluster.redisPort(2), ["scan", cursor, "type", "set", "count", "2"])
                    let pageLines = page.split(separator: "\n").map(String.init)
                    guard let first = pageLines.first, first.hasPrefix("1) \"") else {
                        Issue.record("not a SCAN reply: \(page)")
                        return
                    }
                    cursor = String(first.dropFirst(4).dropLast())
                    sets.formUnion(lines(pageLines.dropFirst().joined(separator: "\n")).filter { $0.hasPrefix("list:") })
                    pages += 1
                } while cursor != "0" && pages < 500
                #expect(sets == ["list:set"], "\(sets)")
            }
        }

        @Test func redisBenchmarkCompletesWithoutErrorReplies() async throws {
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                // 10,000 requests per test keeps the run near a minute on a
                // debug build; docs/redis.md gives figures for 20,000.
                let requests = 10_000
                for (index, pipeline) in [(0, 1), (1, 16)] {
                    let result = try await runCommand(
                        "/usr/bin/redis-benchmark",
                        ["-p", "\(cluster.redisPort(index))", "-t", "set,get,incr,sadd,hset,mset", "-n", "\(requests)", "-c", "50",
                         "-P", "\(pipeline)", "-q"],
                        timeoutSeconds: 300)
                    let output = result.output + result.error
                    #expect(result.status == 0, "\(output)")
                    #expect(!output.lowercased().contains("error"), "\(output)")
                    for test in ["SET", "GET", "INCR", "SADD", "HSET", "MSET (10 keys)"] {
                        #expect(output.contains("\(test): "), "no \(test) line in \(output)")
                    }
                    print("redis-benchmark -P \(pipeline) on node \(index + 1):\n\(output)")
                }
                // Every INCR of both runs was acknowledged once, so the
                // counter holds them all, read at QUORUM from a third member.
                try await expect(cluster, 2, ["get", "counter:__rand_int__"], "\"\(2 * requests)\"")
                // SET and MSET wrote redis-benchmark's 3-byte payload.
                let value = try await redisCLI(cluster.redisPort(2), ["get", "key:__rand_int__"])
                #expect(value.count == 5 && value.hasPrefix("\"") && value.hasSuffix("\""), "\(value)")
            }
        }

        @Test func deepPipelinesAcrossThreeMembersAnswerInOrderAndReadTheirOwnWrites() async throws {
            // Each pipeline leaves in one write, so the member takes it as
            // one batch (one store step, one frame to each replica); every
            // reply must still be the one a command-at-a-time run gives.
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                let script = """
                    import sys, redis
                    port, level, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
                    r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
                    problems, checked = [], 0
                    for rnd in range(rounds):
                        pipe = r.pipeline(transaction=False)
                        model, counter, expected = {}, 0, []
                        def command(want, *words):
                            pipe.execute_command("CONCORD.WITH", level, *words)
                            expected.append((words, want))
                        for i in range(40):
                            key = f"pipe:{level}:{rnd}:{i % 4}"
                            model[key] = f"v{i}".encode()
                            command(b"OK", "SET", key, f"v{i}")
                            command(model[key], "GET", key)
                            counter += 1
                            command(counter, "INCR", f"pipe:{level}:{rnd}:counter")
                            if i % 7 == 3:
                                command(1, "DEL", key)
                                del model[key]
                                command(None, "GET", key)
                        command([model.get(f"pipe:{level}:{rnd}:{k}") for k in range(4)],
                                "MGET", *[f"pipe:{level}:{rnd}:{k}" for k in range(4)])
                        for (words, want), got in zip(expected, pipe.execute(raise_on_error=False)):
                            checked += 1
                            if got != want: problems.append(f"{words}: {got!r} != {want!r}")
                    for problem in problems[:10]: print(problem)
                    print("checked", checked, "problems", len(problems))
                    """
                // Commands of one key wait for each other (and every INCR
                // of the one counter for the one before it), so a round is
                // about 40 sequential store round trips.
                for (index, level) in [(0, "QUORUM"), (1, "ONE"), (2, "ALL")] {
                    let output = try await python(script, [String(cluster.redisPort(index)), level, "3"], timeoutSeconds: 300)
                    #expect(output.hasSuffix("problems 0\n") && output.hasPrefix("checked "), "n\(index + 1) at \(level):\n\(output)")
                }
            }
        }

        @Test func redisPyPipelinesAndAConnectionPoolWork() async throws {
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                let script = """
                    import sys, threading, redis
                    ports = [int(p) for p in sys.argv[1:]]
                    pool = redis.ConnectionPool(host="127.0.0.1", port=ports[0], max_connections=8)
                    r = redis.Redis(connection_pool=pool)
                    assert r.ping()
                    pipe = r.pipeline(transaction=False)
                    pipe.set("py:name", "concord").get("py:name").incr("py:n").incrby("py:n", 4)
                    pipe.sadd("py:set", "a", "b").smembers("py:set").hset("py:h", mapping={"f": "1", "g": "2"}).hgetall("py:h")
                    assert pipe.execute() == [True, b"concord", 1, 5, 2, {b"a", b"b"}, 2, {b"f": b"1", b"g": b"2"}], "pipeline"
                    def worker(t):
                        c = redis.Redis(connection_pool=pool)
                        for i in range(50):
                            c.set(f"py:{t}:{i}", str(i))
                            c.incr("py:shared")
                    threads = [threading.Thread(target=worker, args=(t,)) for t in range(6)]
                    for t in threads: t.start()
                    for t in threads: t.join()
                    other = redis.Redis(host="127.0.0.1", port=ports[1])
                    assert other.get("py:shared") == b"300", other.get("py:shared")
                    assert [other.get(f"py:{t}:49") for t in range(6)] == [b"49"] * 6
                    try:
                        other.get("py:set")
                        raise SystemExit("GET of a set succeeded")
                    except redis.ResponseError as error:
                        assert str(error).startswith("WRONGTYPE"), str(error)
                    print("ok", len(pool._available_connections) + len(pool._in_use_connections))
                    """
                let output = try await python(script, [cluster.redisPort(0), cluster.redisPort(1)].map(String.init))
                #expect(output.hasPrefix("ok "), "\(output)")
            }
        }

        @Test func badInputGetsAnErrorOrACloseAndTheMemberKeepsServing() async throws {
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                // Each case: the bytes sent, and the reply expected before
                // the server closes the connection ("" for a close alone,
                // or for any error line).
                let script = #"""
                    import socket, sys, os
                    port = int(sys.argv[1])
                    def exchange(data):
                        s = socket.create_connection(("127.0.0.1", port), timeout=10)
                        s.sendall(data)
                        received = b""
                        while True:
                            try:
                                chunk = s.recv(65536)
                            except ConnectionResetError:
                                break
                            if not chunk:
                                break
                            received += chunk
                        s.close()
                        return received
                    cases = [
                        (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
                        (b"*1\r\n$99999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
                        (b"*2000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
                        (b"*1\r\nx3\r\nGET\r\n", b"-ERR Protocol error: expected '$', got 'x'\r\n"),
                        (b"PING\r\n\"unbalanced\r\n", b"+PONG\r\n-ERR Protocol error: unbalanced quotes in request\r\n"),
                        (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$-5\r\n", b"+OK\r\n-ERR Protocol error: invalid bulk length\r\n"),
                    ]
                    for data, expected in cases:
                        got = exchange(data)
                        assert got == expected, (data, got)
                    # Binary garbage: some error lines, then a close, never a hang.
                    garbage = bytes((i * 7919 + 13) % 256 for i in range(70000))
                    # (A close with unread input may reach the client as a
                    # reset before the error line: either is a refusal.)
                    got = exchange(b"*1\r\n" + garbage)
                    assert got == b"" or got.startswith(b"-ERR Protocol error"), got[:80]
                    got = exchange(bytes(range(256)) * 300)
                    assert got == b"" or got.startswith(b"-ERR"), got[:80]
                    print("ok")
                    """#
                // Another client keeps its connection open throughout and
                // is served before and after.
                let keeper = """
                    import socket, sys
                    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
                    s.sendall(b"*3\\r\\n$3\\r\\nSET\\r\\n$4\\r\\nkept\\r\\n$3\\r\\nyes\\r\\n")
                    assert s.recv(100) == b"+OK\\r\\n"
                    sys.stdout.write("ready\\n"); sys.stdout.flush()
                    sys.stdin.read()
                    s.sendall(b"*2\\r\\n$3\\r\\nGET\\r\\n$4\\r\\nkept\\r\\n")
                    reply = b""
                    while not reply.endswith(b"yes\\r\\n"):
                        chunk = s.recv(100)
                        assert chunk, reply
                        reply += chunk
                    assert reply == b"$3\\r\\nyes\\r\\n", reply
                    print("kept")
                    """
                let port = cluster.redisPort(0)
                let keeperProcess = Process()
                keeperProcess.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
                keeperProcess.arguments = ["-c", keeper, "\(port)"]
                let keeperInput = Pipe(), keeperOutput = Pipe()
                keeperProcess.standardInput = keeperInput
                keeperProcess.standardOutput = keeperOutput
                try keeperProcess.run()
                defer { if keeperProcess.isRunning { keeperProcess.terminate() } }
                let ready = keeperOutput.fileHandleForReading.availableData
                #expect(String(decoding: ready, as: UTF8.self) == "ready\n")

                let output = try await python(script, ["\(port)"])
                #expect(output == "ok\n", "\(output)")

                try keeperInput.fileHandleForWriting.close()
                try await waitUntil("the long-lived client to finish", seconds: 20) { !keeperProcess.isRunning }
                let rest = String(decoding: keeperOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                #expect(keeperProcess.terminationStatus == 0 && rest == "kept\n", "\(rest)")
                try await expect(cluster, 0, ["get", "kept"], "\"yes\"")
                #expect(cluster.isRunning(0))
            }
        }
    }
}
