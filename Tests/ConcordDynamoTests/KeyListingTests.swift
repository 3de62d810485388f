import ConcordDynamo
import Testing

/// Listing keys over the ring, page by page, one replica per arc.
@Suite struct KeyListingTests {
    /// Walks the whole ring through `member`, `limit` keys a page; ticks
    /// while a page waits for a silent replica.
    static func walk(_ cluster: inout TestCluster, at member: MemberID, limit: Int) -> [ByteString] {
        var keys: [ByteString] = []
        var after: UInt64?
        for _ in 0..<10_000 {
            let id = cluster.request("", .listKeys(after: after, limit: limit), at: member)
            var ticks = 0
            while cluster.outcome(id) == nil && ticks < 500 {
                cluster.tick()
                ticks += 1
            }
            guard case .keys(let page, let next)? = cluster.outcome(id) else {
                Issue.record("listing failed: \(String(describing: cluster.outcome(id)))")
                return keys
            }
            keys += page.map(\.key)
            guard let next else { return keys }
            after = next
        }
        Issue.record("the walk did not end")
        return keys
    }

    @Test func aWalkListsEveryLiveKeyOnceLeavingOutTombstonesAndExpiredKeys() {
        var cluster = TestCluster(members: [1, 2, 3, 4, 5])
        var live: Set<ByteString> = []
        for index in 0..<60 {
            let key = ByteString("key:\(index)")
            cluster.request(key, .put("v", context: .current), at: MemberID(rawValue: UInt64(index % 5 + 1)), consistency: .all)
            live.insert(key)
        }
        for index in 0..<5 {
            let key = ByteString("key:\(index)")
            cluster.request(key, .delete(context: .current), at: 2, consistency: .all)
            live.remove(key)
        }
        for index in 5..<10 {
            let key = ByteString("key:\(index)")
            cluster.request(key, .expire(.after(-1)), at: 3, consistency: .all)
            live.remove(key)
        }
        cluster.request("counter", .update(.increment(1)), at: 4, consistency: .all)
        live.insert("counter")
        for limit in [1, 3, 1_000] {
            let keys = Self.walk(&cluster, at: 1, limit: limit)
            #expect(keys.count == live.count, "limit \(limit): each key once")
            #expect(Set(keys) == live, "limit \(limit)")
        }
    }

    @Test func aPageFromASilentReplicaComesFromTheNextOne() {
        var cluster = TestCluster(members: [1, 2, 3, 4, 5])
        var live: Set<ByteString> = []
        for index in 0..<40 {
            let key = ByteString("k\(index)")
            cluster.request(key, .put("v", context: .current), at: 1, consistency: .all)
            live.insert(key)
        }
        cluster.down = [2]
        let keys = Self.walk(&cluster, at: 1, limit: 5)
        #expect(Set(keys) == live)
        #expect(keys.count == live.count)
        cluster.down = [1, 2, 3, 4]
        // With every other member down, an arc the coordinator does not replicate cannot be listed.
        var failed = false
        var after: UInt64?
        for _ in 0..<1_000 {
            let id = cluster.request("", .listKeys(after: after, limit: 50), at: 5)
            var ticks = 0
            while cluster.outcome(id) == nil && ticks < 500 {
                cluster.tick()
                ticks += 1
            }
            if case .failed(.unavailable)? = cluster.outcome(id) { failed = true; break }
            guard case .keys(_, let next)? = cluster.outcome(id), let next else { break }
            after = next
        }
        #expect(failed, "an arc without a live replica fails as unavailable")
    }
}
