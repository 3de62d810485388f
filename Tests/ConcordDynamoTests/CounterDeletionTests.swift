import ConcordDynamo
import Testing

/// Deleting a counter: absent afterwards, and the deletion wins over a
/// concurrent increment.
@Suite struct CounterDeletionTests {
    @Test func aDeletedCounterReadsAsAbsentEverywhereAndADeletionWinsOverAConcurrentIncrement() {
        var cluster = TestCluster(members: [1, 2, 3])
        cluster.request("c", .update(.increment(5)), at: 1, consistency: .all)
        // A deletion at one member and an increment at another, neither seeing the other.
        let delete = cluster.request("c", .delete(context: .current), at: 1, consistency: .one, deliver: false)
        let increment = cluster.request("c", .update(.increment(2)), at: 2, consistency: .one, deliver: false)
        cluster.deliverAll()
        #expect(cluster.outcome(delete)?.readValue == .absent)
        #expect(cluster.outcome(increment)?.readValue == .counter(7))
        cluster.tick(50)
        for member: MemberID in [1, 2, 3] {
            let read = cluster.request("c", .get, at: member, consistency: .all)
            #expect(cluster.outcome(read)?.readValue == .absent, "deleted, seen from \(member)")
        }
        let again = cluster.request("c", .update(.increment(1)), at: 3)
        #expect(cluster.outcome(again)?.readValue == .counter(1), "a deleted counter starts again from zero")
    }
}
