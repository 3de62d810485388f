import ConcordClocks
import ConcordCRDT
import ConcordDynamo
import ConcordFoundation
import Testing

/// Keys with a deadline (``Expiry``): reads at the coordinator's time,
/// concurrent changes, writes after expiry, collection.
@Suite struct ExpiryTests {
    static let key: ByteString = "k"

    /// The coordinator's time in milliseconds of the Unix epoch.
    static func milliseconds(_ cluster: TestCluster) -> Int64 { cluster.now / 1_000_000 }

    @Test func aKeyReadsAsAbsentOnceItsDeadlinePassesAndIsThenCollected() {
        var settings = TestCluster.defaultSettings
        settings.tombstoneAgeTicksMin = 2
        settings.reapGraceTicks = 3
        var cluster = TestCluster(members: [1, 2, 3], settings: settings)
        let write = cluster.request(Self.key, .put("v", context: .current), at: 1, consistency: .all, expiry: .after(200))
        #expect(cluster.outcome(write)?.isWritten == true)
        let read = cluster.request(Self.key, .get, at: 2)
        #expect(cluster.outcome(read)?.readValue == .siblings(["v"], includesDeletion: false))
        #expect(cluster.replies[read]?.timeToLive == 200)
        cluster.tick(10)
        let later = cluster.request(Self.key, .get, at: 3)
        #expect(cluster.replies[later]?.timeToLive == 100)
        cluster.tick(10)
        let expired = cluster.request(Self.key, .get, at: 3)
        #expect(cluster.outcome(expired)?.readValue == .absent)
        #expect(cluster.replies[expired]?.timeToLive == nil)
        cluster.tick(300)
        for member: MemberID in [1, 2, 3] {
            #expect(cluster.nodes[member]!.objects[Self.key] == nil, "collected at \(member) through the tombstone path")
        }
    }

    @Test func concurrentExpireAndPersistResolveToTheLaterChangeOnEveryReplica() {
        for persistLast in [true, false] {
            var cluster = TestCluster(members: [1, 2, 3])
            cluster.request(Self.key, .put("v", context: .current), at: 1, consistency: .all, expiry: .after(60_000))
            let (first, second): (ClientOperation, ClientOperation) =
                persistLast ? (.expire(.after(5_000)), .expire(.clear)) : (.expire(.clear), .expire(.after(5_000)))
            // Made at R = W = 1 without delivering: neither coordinator sees the other's change.
            let one = cluster.request(Self.key, first, at: 1, consistency: .one, deliver: false)
            cluster.now += 1_000_000
            let expected = Self.milliseconds(cluster) + 5_000
            let other = cluster.request(Self.key, second, at: 2, consistency: .one, deliver: false)
            // Deliver the later change first, then the earlier one.
            cluster.queue.reverse()
            cluster.deliverAll()
            cluster.tick(30)
            #expect(cluster.outcome(one)?.isWritten == true)
            #expect(cluster.outcome(other)?.isWritten == true)
            let copies = [1, 2, 3].map { cluster.nodes[MemberID(rawValue: $0)]!.objects[Self.key]! }
            #expect(Set(copies).count == 1, "every replica holds the same copy")
            let deadline = copies[0].expiry.deadline
            if persistLast {
                #expect(deadline == nil, "the later PERSIST wins")
            } else {
                #expect(deadline == expected, "the later EXPIRE wins")
            }
        }
    }

    @Test func expireNeedsTheKeyAndHonoursItsCondition() {
        var cluster = TestCluster(members: [1, 2, 3])
        let absent = cluster.request(Self.key, .expire(.after(1_000)), at: 1)
        #expect(cluster.outcome(absent) == .conditionNotMet(.absent))
        cluster.request(Self.key, .update(.increment(3)), at: 1)
        let persist = cluster.request(Self.key, .expire(.clear), at: 2)
        #expect(cluster.outcome(persist) == .conditionNotMet(.counter(3)), "PERSIST without a deadline changes nothing")
        let ifSet = cluster.request(Self.key, .expire(.after(1_000), condition: .ifSet), at: 3)
        #expect(cluster.outcome(ifSet)?.isWritten == false)
        let ifNone = cluster.request(Self.key, .expire(.after(1_000), condition: .ifNone), at: 3)
        #expect(cluster.outcome(ifNone)?.isWritten == true)
        let ifLater = cluster.request(Self.key, .expire(.after(500), condition: .ifLater), at: 1)
        #expect(cluster.outcome(ifLater)?.isWritten == false)
        let ifEarlier = cluster.request(Self.key, .expire(.after(500), condition: .ifEarlier), at: 2)
        #expect(cluster.outcome(ifEarlier)?.isWritten == true)
        let read = cluster.request(Self.key, .get, at: 3)
        #expect(cluster.replies[read]?.timeToLive == 500)
        let increment = cluster.request(Self.key, .update(.increment(1)), at: 1)
        #expect(cluster.outcome(increment)?.readValue == .counter(4))
        let again = cluster.request(Self.key, .get, at: 2)
        #expect(cluster.replies[again]?.timeToLive == 500, "an increment keeps the deadline")
    }

    @Test func aWriteToAnExpiredKeyStartsItAfreshWithoutItsOldValues() {
        var cluster = TestCluster(members: [1, 2, 3])
        cluster.request("set", .update(.addToSet(["a", "b"])), at: 1, expiry: .after(50))
        cluster.request("counter", .update(.increment(7)), at: 2, expiry: .after(50))
        cluster.request("string", .put("old"), at: 3, expiry: .after(50))
        cluster.now += 100_000_000
        let set = cluster.request("set", .update(.addToSet(["c"])), at: 2)
        #expect(cluster.outcome(set)?.readValue == .set(["c"]))
        let counter = cluster.request("counter", .update(.increment(1)), at: 3)
        #expect(cluster.outcome(counter)?.readValue == .counter(1))
        let string = cluster.request("string", .put("new"), at: 1)
        #expect(cluster.outcome(string)?.readValue == .siblings(["new"], includesDeletion: false), "a blind put supersedes the expired value")
        for key: ByteString in ["set", "counter", "string"] {
            let read = cluster.request(key, .get, at: 1)
            #expect(cluster.replies[read]?.timeToLive == nil, "\(key) has no deadline any more")
        }
    }

    @Test func theDeadlineMergeIsCommutativeAssociativeAndIdempotent() {
        let a = ReplicaID(rawValue: 1)
        let b = ReplicaID(rawValue: 2)
        var expiries = [Expiry()]
        for (index, deadline) in [Int64?.none, 5_000, 9_000, nil, 1_000].enumerated() {
            var expiry = Expiry()
            expiry.write(deadline, timestamp: HybridTimestamp(wallNanoseconds: Int64(index % 3) * 1_000), actor: index % 2 == 0 ? a : b)
            expiries.append(expiry)
        }
        var counter = PNCounter()
        counter.increment(by: 2, at: a)
        let values: [StoredObject] = [.counter(PNCounter()), .counter(counter)]
        let objects = values.flatMap { value in expiries.map { StoredObject(value.value, expiry: $0) } }
        for x in objects {
            #expect(x.merging(x) == x)
            for y in objects {
                #expect(x.merging(y) == y.merging(x))
                #expect(x.merging(y).digest == y.merging(x).digest)
                for z in objects {
                    #expect(x.merging(y).merging(z) == x.merging(y.merging(z)))
                }
            }
        }
    }

    @Test func copiesWithAnExpiryRoundTripAndCopiesWithoutOneKeepTheFirstFormat() throws {
        var expiry = Expiry()
        expiry.write(1_700_000_000_000, timestamp: HybridTimestamp(wallNanoseconds: 5), actor: ReplicaID(rawValue: 3))
        var counter = PNCounter()
        counter.increment(by: 4, at: ReplicaID(rawValue: 3))
        let expiring = StoredObject(.counter(counter), expiry: expiry)
        let encoded = expiring.binaryEncoded()
        #expect(encoded[0] == ObjectKind.counter.rawValue | StoredObject.hasExpiryFlag)
        #expect(try StoredObject(binaryEncoded: encoded) == expiring)
        let plain = StoredObject.counter(counter)
        // Format 1: the kind byte, then the counter's own bytes.
        #expect(plain.binaryEncoded() == [ObjectKind.counter.rawValue] + counter.binaryEncoded())
        #expect(try StoredObject(binaryEncoded: [ObjectKind.counter.rawValue] + counter.binaryEncoded()) == plain)
        let record = StorageRecord.object(KeyedObject(key: "k", object: expiring))
        #expect(try StorageRecord(binaryEncoded: record.binaryEncoded()) == record)
        let request = ClientRequest(id: 9, key: "k", operation: .expire(.after(-5), condition: .ifSetAndEarlier), expiry: .at(77))
        let message = DynamoMessage.forward(coordination: 1, request: request)
        #expect(try DynamoMessage(binaryEncoded: message.binaryEncoded()) == message)
    }
}

extension ClientOutcome {
    var isWritten: Bool {
        if case .written = self { return true }
        return false
    }
}
