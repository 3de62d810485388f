import ConcordKV
import Testing

@Suite("Leases")
struct LeaseTests {
    /// A 3 s lease on a machine that leads from time 0.
    static func leaderWithLease(id: Int64 = 7, ttl: Int64 = 3) throws -> WatchDriver {
        var driver = WatchDriver()
        driver.machine.onBecameLeader(nowMilliseconds: 0, extendMilliseconds: 0)
        try driver.apply(.lease(.grant(id: id, ttlSeconds: ttl)), now: 0)
        return driver
    }

    @Test("grant records the lease; short, zero and negative TTLs are raised to the minimum")
    func grant() throws {
        var driver = WatchDriver()
        #expect(try driver.apply(.lease(.grant(id: 1, ttlSeconds: 60))) == .granted(id: 1, ttlSeconds: 60))
        #expect(try driver.apply(.lease(.grant(id: 2, ttlSeconds: 1))) == .granted(id: 2, ttlSeconds: 2))
        #expect(try driver.apply(.lease(.grant(id: 3, ttlSeconds: -5))) == .granted(id: 3, ttlSeconds: 2))
        #expect(driver.machine.leases.leaseIDs == [1, 2, 3])
        #expect(driver.store.leases == [1, 2, 3])
        #expect(driver.store.currentRevision == 1)
    }

    @Test("bad grants get etcd's errors and change nothing")
    func badGrants() throws {
        var driver = WatchDriver()
        try driver.apply(.lease(.grant(id: 1, ttlSeconds: 60)))
        let before = driver.machine
        #expect(throws: KVStateMachine.Failure.lease(.leaseExists)) { try driver.apply(.lease(.grant(id: 1, ttlSeconds: 5))) }
        #expect(throws: KVStateMachine.Failure.lease(.ttlTooLarge)) { try driver.apply(.lease(.grant(id: 2, ttlSeconds: LeaseTable.ttlSecondsMax + 1))) }
        #expect(throws: KVStateMachine.Failure.lease(.leaseNotFound)) { try driver.apply(.lease(.grant(id: 0, ttlSeconds: 5))) }
        #expect(throws: KVStateMachine.Failure.lease(.leaseNotFound)) { try driver.apply(.lease(.revoke(id: 9))) }
        #expect(driver.machine == before)
        #expect(LeaseError.leaseNotFound.message == "etcdserver: requested lease not found")
        #expect(LeaseError.ttlTooLarge.message == "etcdserver: too large lease TTL")
        #expect(LeaseError.leaseExists.message == "etcdserver: lease already exists")
    }

    @Test("a put with an unknown lease is refused with etcd's error and changes nothing")
    func putWithUnknownLease() throws {
        var driver = WatchDriver()
        let before = driver.machine
        #expect(throws: KVStateMachine.Failure.kv(.leaseNotFound)) { try driver.put("a", "1", lease: 42) }
        #expect(driver.machine == before)
        #expect(KVError.leaseNotFound.message == "etcdserver: requested lease not found")
    }

    @Test("a put with a lease attaches the key, a put with another lease moves it, a delete detaches it")
    func attachment() throws {
        var driver = WatchDriver()
        try driver.apply(.lease(.grant(id: 1, ttlSeconds: 60)))
        try driver.apply(.lease(.grant(id: 2, ttlSeconds: 60)))
        try driver.put("a", "1", lease: 1)
        try driver.put("b", "1", lease: 1)
        #expect(driver.machine.leases.keys(1) == [bytes("a"), bytes("b")])
        try driver.put("a", "2", lease: 2)
        #expect(driver.machine.leases.keys(1) == [bytes("b")])
        #expect(driver.machine.leases.keys(2) == [bytes("a")])
        try driver.put("a", "3")
        #expect(driver.machine.leases.keys(2) == [])
        try driver.delete("b")
        #expect(driver.machine.leases.keys(1) == [])
        try driver.apply(.kv(.put(PutRequest(key: bytes("c"), value: bytes("x"), lease: 2))))
        try driver.apply(.kv(.put(PutRequest(key: bytes("c"), value: bytes("y"), ignoreLease: true))))
        #expect(driver.machine.leases.keys(2) == [bytes("c")])
    }

    @Test("revoke deletes every attached key in one revision, and watchers see the deletes")
    func revokeDeletesKeys() throws {
        var driver = WatchDriver()
        try driver.apply(.lease(.grant(id: 1, ttlSeconds: 60)))
        try driver.put("a", "1", lease: 1)
        try driver.put("b", "1")
        try driver.put("c", "1", lease: 1)
        let id = try driver.watch(WatchCreateRequest(key: bytes("a"), rangeEnd: [0], prevKV: true)).get()
        #expect(try driver.apply(.lease(.revoke(id: 1))) == .revoked(id: 1, revision: 5))
        #expect(try driver.store.get("a") == nil && driver.store.get("c") == nil)
        #expect(try driver.store.get("b") != nil)
        #expect(driver.machine.leases.leaseIDs.isEmpty && driver.store.leases.isEmpty)
        let events = events(of: driver.take(), watchID: id)
        #expect(describe(events) == ["DELETE a@5", "DELETE c@5"])
        #expect(events.allSatisfy { $0.prevKV?.lease == 1 })
        #expect(throws: KVStateMachine.Failure.kv(.leaseNotFound)) { try driver.put("d", "1", lease: 1) }
    }

    @Test("revoking a lease without keys creates no revision")
    func revokeWithoutKeys() throws {
        var driver = WatchDriver()
        try driver.apply(.lease(.grant(id: 1, ttlSeconds: 60)))
        #expect(try driver.apply(.lease(.revoke(id: 1))) == .revoked(id: 1, revision: 1))
    }

    @Test("only the leader reports expiry, and keys go only when the replicated revoke is applied")
    func expiryThroughLeaderAndRevoke() throws {
        var leader = try Self.leaderWithLease()
        var follower = WatchDriver()
        try follower.apply(.lease(.grant(id: 7, ttlSeconds: 3)), now: 0)
        try leader.put("k", "v", lease: 7)
        try follower.put("k", "v", lease: 7)
        #expect(leader.machine.expiredLeases(nowMilliseconds: 2_999).isEmpty)
        #expect(follower.machine.expiredLeases(nowMilliseconds: 1_000_000).isEmpty)
        let expired = leader.machine.expiredLeases(nowMilliseconds: 3_000)
        #expect(expired == [7])
        #expect(try leader.store.get("k") != nil)
        #expect(leader.machine.expiredLeases(nowMilliseconds: 3_001).isEmpty)
        #expect(leader.machine.expiredLeases(nowMilliseconds: 6_000) == [7])
        for id in expired {
            try leader.apply(.lease(.revoke(id: id)))
            try follower.apply(.lease(.revoke(id: id)))
        }
        #expect(try leader.store.get("k") == nil && follower.store.get("k") == nil)
        #expect(leader.machine == follower.machine)
    }

    @Test("keep-alive restarts the TTL on the leader, and is refused by followers and for expired leases")
    func keepAlive() throws {
        var leader = try Self.leaderWithLease(ttl: 5)
        #expect(try leader.machine.renew(7, nowMilliseconds: 4_000) == 5)
        #expect(leader.machine.expiredLeases(nowMilliseconds: 8_999).isEmpty)
        #expect(leader.machine.expiredLeases(nowMilliseconds: 9_000) == [7])
        #expect(throws: LeaseError.leaseNotFound) { try leader.machine.renew(7, nowMilliseconds: 9_000) }
        #expect(throws: LeaseError.leaseNotFound) { try leader.machine.renew(8, nowMilliseconds: 0) }
        var follower = WatchDriver()
        try follower.apply(.lease(.grant(id: 7, ttlSeconds: 5)))
        #expect(throws: LeaseError.notLeader) { try follower.machine.renew(7, nowMilliseconds: 0) }
    }

    @Test("time-to-live gives remaining seconds rounded down, the granted TTL and the keys")
    func timeToLive() throws {
        var leader = try Self.leaderWithLease(ttl: 10)
        try leader.put("b", "1", lease: 7)
        try leader.put("a", "1", lease: 7)
        let answer = try leader.machine.leases.timeToLive(7, nowMilliseconds: 2_500, keys: true)
        #expect(answer == LeaseTimeToLive(id: 7, ttlSeconds: 7, grantedTTLSeconds: 10, keys: [bytes("a"), bytes("b")]))
        #expect(try leader.machine.leases.timeToLive(7, nowMilliseconds: 2_500, keys: false).keys.isEmpty)
        #expect(try leader.machine.leases.timeToLive(7, nowMilliseconds: 20_000, keys: false).ttlSeconds == 0)
        #expect(throws: LeaseError.leaseNotFound) { try leader.machine.leases.timeToLive(8, nowMilliseconds: 0, keys: false) }
    }

    @Test("a new leader extends every lease by its TTL plus the election allowance")
    func leaderChangeExtendsTTLs() throws {
        var old = try Self.leaderWithLease(ttl: 3)
        var successor = WatchDriver()
        try successor.apply(.lease(.grant(id: 7, ttlSeconds: 3)), now: 0)
        old.machine.onBecameFollower()
        #expect(old.machine.expiredLeases(nowMilliseconds: 10_000).isEmpty)
        // The successor wins an election that took 2.5 s, by which time the
        // old leader's expiry (3 s) is near.
        successor.machine.onBecameLeader(nowMilliseconds: 2_500, extendMilliseconds: 1_000)
        #expect(successor.machine.expiredLeases(nowMilliseconds: 6_499).isEmpty)
        #expect(try successor.machine.leases.timeToLive(7, nowMilliseconds: 2_500, keys: false).ttlSeconds == 4)
        #expect(successor.machine.expiredLeases(nowMilliseconds: 6_500) == [7])
    }

    @Test("expired leases are reported earliest first, at most the given number per call")
    func expiredOrderAndLimit() throws {
        var driver = WatchDriver()
        driver.machine.onBecameLeader(nowMilliseconds: 0, extendMilliseconds: 0)
        try driver.apply(.lease(.grant(id: 1, ttlSeconds: 9)), now: 0)
        try driver.apply(.lease(.grant(id: 2, ttlSeconds: 3)), now: 0)
        try driver.apply(.lease(.grant(id: 3, ttlSeconds: 5)), now: 0)
        #expect(driver.machine.expiredLeases(nowMilliseconds: 10_000, max: 2) == [2, 3])
        #expect(driver.machine.expiredLeases(nowMilliseconds: 10_000, max: 2) == [1])
    }

    @Test("the leader picks an unused positive ID for a grant whose client gave 0")
    func unusedID() throws {
        var driver = WatchDriver()
        var generator = SplitMix(seed: 1)
        let id = driver.machine.leases.unusedID(using: &generator)
        #expect(id > 0)
        try driver.apply(.lease(.grant(id: id, ttlSeconds: 5)))
        var again = SplitMix(seed: 1)
        #expect(driver.machine.leases.unusedID(using: &again) != id)
    }

    @Test("lease commands encode and decode, key-value commands keep KVCommand's bytes, bad bytes get typed errors")
    func encoding() throws {
        let commands: [StoreCommand] = [
            .lease(.grant(id: 7, ttlSeconds: 30)), .lease(.grant(id: -3, ttlSeconds: -1)), .lease(.revoke(id: Int64.max)),
            .kv(.put(PutRequest(key: bytes("a"), value: bytes("b"), lease: 7))),
        ]
        for command in commands {
            #expect(try StoreCommand(decoding: command.encoded()) == command)
        }
        let put = KVCommand.put(PutRequest(key: bytes("a"), value: bytes("b")))
        #expect(StoreCommand.kv(put).encoded() == put.encoded())
        #expect(throws: KVDecodingError.truncated) { try StoreCommand(decoding: [1, 5, 14]) }
        #expect(throws: KVDecodingError.trailingBytes(1)) { try StoreCommand(decoding: [1, 6, 2, 0]) }
        #expect(throws: KVDecodingError.unknownTag(field: "command", tag: 9)) { try StoreCommand(decoding: [1, 9]) }
        #expect(throws: KVDecodingError.unsupportedFormatVersion(2)) { try StoreCommand(decoding: [2, 5, 2, 2]) }
    }

    @Test("a snapshot carries leases, TTLs and attachments; a restored node tracks no expiry until it leads")
    func snapshot() throws {
        var leader = try Self.leaderWithLease(ttl: 30)
        try leader.apply(.lease(.grant(id: 8, ttlSeconds: 60)))
        try leader.put("a", "1", lease: 7)
        try leader.put("b", "1", lease: 8)
        try leader.put("c", "1")
        let restored = try KVStateMachine(snapshot: leader.machine.snapshot())
        #expect(restored == leader.machine)
        #expect(restored.leases.keys(7) == [bytes("a")])
        #expect(restored.leases.grantedTTLSeconds(8) == 60)
        #expect(!restored.leases.isPrimary)
        var corrupt = leader.machine.snapshot()
        corrupt.removeLast()
        #expect(throws: KVDecodingError.self) { try KVStateMachine(snapshot: corrupt) }
    }
}

/// A small seeded generator for tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
