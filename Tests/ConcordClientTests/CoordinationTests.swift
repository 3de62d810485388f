import ConcordClient
import Synchronization
import Testing

@Suite struct CoordinationTests {
    @Test func ephemeralKeyIsExclusiveAndVanishesWithItsSession() async throws {
        try await withEtcd { _, client in
            let owner = try await Session(client: client, ttlSeconds: 30)
            let other = try await Session(client: client, ttlSeconds: 30)
            try await owner.createEphemeral("eph/leader", value: "owner")
            await #expect(throws: ConcordClientError.keyExists("eph/leader")) {
                try await other.createEphemeral("eph/leader", value: "other")
            }
            #expect(try await client.get("eph/leader")?.stringValue == "owner")
            try await owner.close()
            #expect(owner.isLost)
            #expect(try await client.get("eph/leader") == nil)
            try await other.createEphemeral("eph/leader", value: "other")
            try await other.close()
        }
    }

    @Test func sequentialKeysAreOrderedAndNumbersAreNeverReused() async throws {
        try await withEtcd { _, client in
            let created = try await withThrowingTaskGroup(of: (key: String, number: Int64).self) { group in
                for i in 0..<6 { group.addTask { try await client.createSequential(prefix: "queue/item-", value: "\(i)") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(created.map(\.number)) == Set(1...6))
            let keys = try await client.get(.prefix("queue/item-")).kvs.map(\.key)
            #expect(keys == created.sorted { $0.number < $1.number }.map(\.key))
            #expect(keys.first == "queue/item-00000000000000000001")
            try await client.delete(.key(keys.last!))
            #expect(try await client.createSequential(prefix: "queue/item-", value: "x").number == 7)
        }
    }

    @Test func groupMembershipFollowsSessions() async throws {
        try await withEtcd { _, client in
            let group = Group(client: client, prefix: "group/workers")
            let alice = try await Session(client: client, ttlSeconds: 30)
            let bob = try await Session(client: client, ttlSeconds: 30)
            let views = StreamReader(group.watchMembers())
            #expect(try await views.next() == [:])
            try await group.join("alice", value: "a:1", session: alice)
            #expect(try await views.next() == ["alice": "a:1"])
            try await group.join("bob", value: "b:1", session: bob)
            #expect(try await views.next() == ["alice": "a:1", "bob": "b:1"])
            await #expect(throws: ConcordClientError.self) { try await group.join("bad/name", value: "", session: bob) }
            try await bob.close()
            #expect(try await group.members() == ["alice": "a:1"])
            #expect(try await views.next() == ["alice": "a:1"])
            try await alice.close()
        }
    }

    @Test func configurationWatchSeesTheInitialValuesThenEachChange() async throws {
        try await withEtcd { _, client in
            try await client.put("config/db/url", "postgres://one")
            try await client.put("config/db/pool", "4")
            let snapshots = StreamReader(client.watchPrefixSnapshots("config/db/"))
            let initial = [try await snapshots.next()]
            try await client.put("config/db/pool", "8")
            _ = try await client.txn().then(.put("config/db/url", "postgres://two"), .delete(.key("config/db/pool"))).commit()
            let seen = try await initial + [snapshots.next(), snapshots.next()]
            #expect(seen[0].entries.mapValues(\.stringValue) == ["config/db/url": "postgres://one", "config/db/pool": "4"])
            #expect(seen[1].entries["config/db/pool"]?.stringValue == "8")
            // A transaction's changes arrive as one snapshot.
            #expect(seen[2].entries.mapValues(\.stringValue) == ["config/db/url": "postgres://two"])
            #expect(seen.map(\.revision) == seen.map(\.revision).sorted())
        }
    }
}
