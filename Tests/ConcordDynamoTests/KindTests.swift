import ConcordClocks
import ConcordCRDT
import ConcordDynamo
import Testing

/// Updates guarded by kind, strings that become counters, and increments
/// that would overflow.
@Suite struct KindTests {
    @Test func anUpdateOfAKeyHoldingAnotherKindIsRefusedAndChangesNothing() {
        var cluster = TestCluster(members: [1, 2, 3])
        cluster.request("k", .put("v", context: .current), at: 1)
        let add = cluster.request("k", .update(.addToSet(["x"])), at: 2)
        #expect(cluster.outcome(add) == .failed(.wrongType(.siblings)))
        let fields = cluster.request("k", .update(.setFields([MapField(field: "f", values: ["v"])])), at: 3)
        #expect(cluster.outcome(fields) == .failed(.wrongType(.siblings)))
        let read = cluster.request("k", .get, at: 3)
        #expect(cluster.outcome(read)?.readValue == .siblings(["v"], includesDeletion: false))
        cluster.request("k", .delete(context: .current), at: 1)
        let afterDelete = cluster.request("k", .update(.addToSet(["x"])), at: 2)
        #expect(cluster.outcome(afterDelete)?.readValue == .set(["x"]), "a deleted key takes another kind")
    }

    /// Redis lets a deleted key be re-created as any type; in the store an
    /// update of an earlier kind than the deleted key's starts the key's
    /// next generation, and one of a later kind moves it forward.
    @Test func aDeletedKeyTakesAnUpdateOfAnyKind() {
        var cluster = TestCluster(members: [1, 2, 3])
        let cases: [(key: ByteString, first: ClientOperation, then: ClientOperation, shows: ReadValue, generation: UInt32)] = [
            ("set", .update(.addToSet(["x"])), .update(.increment(1)), .counter(1), 1),
            ("map", .update(.setFields([MapField(field: "f", values: ["v"])])), .update(.addToSet(["y"])), .set(["y"]), 1),
            ("counter", .update(.increment(5)), .update(.addToSet(["z"])), .set(["z"]), 0),
            ("string", .put("1", context: .current), .update(.addToSet(["w"])), .set(["w"]), 0),
        ]
        for (key, first, then, shows, generation) in cases {
            cluster.request(key, first, at: 1, consistency: .all)
            cluster.request(key, .delete(context: .current), at: 2, consistency: .all)
            let update = cluster.request(key, then, at: 3)
            #expect(cluster.outcome(update)?.readValue == shows, "\(key)")
            cluster.tick(30)
            for member: MemberID in [1, 2, 3] {
                let read = cluster.request(key, .get, at: member, consistency: .all)
                #expect(cluster.outcome(read)?.readValue == shows, "\(key) at \(member)")
                #expect(cluster.nodes[member]!.objects[key]?.generation == generation, "\(key) at \(member)")
            }
        }
        // A live key of a later kind still refuses the update.
        cluster.request("live", .update(.addToSet(["x"])), at: 1, consistency: .all)
        let refused = cluster.request("live", .update(.increment(1)), at: 2)
        #expect(cluster.outcome(refused) == .failed(.wrongType(.set)))
    }

    /// Under concurrency the next generation wins whole, as a replacing put
    /// does: an update of the deleted kind that did not see the new one is
    /// replaced with it, and updates that start the same generation merge.
    @Test func theNextGenerationReplacesAConcurrentUpdateOfTheDeletedKind() {
        var cluster = TestCluster(members: [1, 2, 3])
        cluster.request("k", .update(.addToSet(["x"])), at: 1, consistency: .all)
        cluster.request("k", .delete(context: .current), at: 1, consistency: .all)
        let readded = cluster.request("k", .update(.addToSet(["y"])), at: 1, consistency: .one, deliver: false)
        let first = cluster.request("k", .update(.increment(1)), at: 2, consistency: .one, deliver: false)
        let second = cluster.request("k", .update(.increment(2)), at: 3, consistency: .one, deliver: false)
        cluster.deliverAll()
        #expect(cluster.outcome(readded)?.readValue == .set(["y"]))
        #expect(cluster.outcome(first) != nil && cluster.outcome(second) != nil)
        cluster.tick(30)
        for member: MemberID in [1, 2, 3] {
            let read = cluster.request("k", .get, at: member, consistency: .all)
            #expect(cluster.outcome(read)?.readValue == .counter(3), "at \(member)")
        }
    }

    @Test func concurrentIncrementsOfTheSameStringCountItsValueOnce() {
        var cluster = TestCluster(members: [1, 2, 3])
        cluster.request("n", .put("10", context: .current), at: 1, consistency: .all)
        let first = cluster.request("n", .update(.increment(1)), at: 1, consistency: .one, deliver: false)
        let second = cluster.request("n", .update(.increment(1)), at: 2, consistency: .one, deliver: false)
        cluster.deliverAll()
        #expect(cluster.outcome(first)?.readValue == .counter(11))
        #expect(cluster.outcome(second)?.readValue == .counter(11))
        cluster.tick(30)
        for member: MemberID in [1, 2, 3] {
            let read = cluster.request("n", .get, at: member, consistency: .all)
            #expect(cluster.outcome(read)?.readValue == .counter(12))
        }
    }

    @Test func stringsAreReadAsIntegersTheWayRedisReadsThem() {
        #expect(DynamoNode.parseInteger(Array("0".utf8)) == 0)
        #expect(DynamoNode.parseInteger(Array("-12".utf8)) == -12)
        #expect(DynamoNode.parseInteger(Array("9223372036854775807".utf8)) == .max)
        #expect(DynamoNode.parseInteger(Array("-9223372036854775808".utf8)) == .min)
        for bad in ["", "-", "+1", "01", "-0", " 1", "1.0", "9223372036854775808", "-9223372036854775809", "1a"] {
            #expect(DynamoNode.parseInteger(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func anIncrementThatWouldOverflowIsRefused() {
        var cluster = TestCluster(members: [1, 2, 3])
        cluster.request("c", .update(.increment(.max)), at: 1)
        let over = cluster.request("c", .update(.increment(1)), at: 2)
        #expect(cluster.outcome(over) == .failed(.overflow))
        let under = cluster.request("d", .update(.increment(.min)), at: 3)
        #expect(cluster.outcome(under)?.readValue == .counter(.min))
        let below = cluster.request("d", .update(.increment(-1)), at: 1)
        #expect(cluster.outcome(below) == .failed(.overflow))
    }
}
