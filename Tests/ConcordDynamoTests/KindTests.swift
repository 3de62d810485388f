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
