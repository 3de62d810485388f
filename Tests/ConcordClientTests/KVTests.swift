import ConcordClient
import Testing

@Suite struct KVTests {
    @Test func putGetRangeAndDeleteFollowEtcdSemantics() async throws {
        try await withEtcd { _, client in
            let first = try await client.put("kv/a", "1")
            try await client.put("kv/b", "2")
            try await client.put("kv/c", "3")
            try await client.put("other", "x")
            let overwrite = try await client.put("kv/a", "10", previous: true)
            #expect(overwrite.previous?.stringValue == "1")
            #expect(overwrite.revision > first.revision)

            let a = try #require(try await client.get("kv/a"))
            #expect(a.stringValue == "10")
            #expect(a.version == 2)
            #expect(a.createRevision == first.revision)
            #expect(a.modRevision == overwrite.revision)

            let all = try await client.get(.prefix("kv/"))
            #expect(all.kvs.map(\.key) == ["kv/a", "kv/b", "kv/c"])
            #expect(all.count == 3)

            var options = GetOptions()
            options.sortOrder = .descending
            options.limit = 2
            let limited = try await client.get(.prefix("kv/"), options: options)
            #expect(limited.kvs.map(\.key) == ["kv/c", "kv/b"])
            #expect(limited.more)

            var countOnly = GetOptions()
            countOnly.countOnly = true
            let counted = try await client.get(.range(from: "kv/a", to: "kv/c"), options: countOnly)
            #expect(counted.count == 2 && counted.kvs.isEmpty)

            var old = GetOptions()
            old.revision = first.revision
            #expect(try await client.get(.key("kv/a"), options: old).kvs.first?.stringValue == "1")
            #expect(try await client.get("kv/b", serializable: true)?.stringValue == "2")

            let deleted = try await client.delete(.prefix("kv/"), previous: true)
            #expect(deleted.deleted == 3)
            #expect(Set(deleted.previous.map(\.key)) == ["kv/a", "kv/b", "kv/c"])
            #expect(try await client.get(.prefix("kv/")).kvs.isEmpty)
            #expect(try await client.get("other")?.stringValue == "x")
        }
    }

    @Test func readingACompactedRevisionThrowsEtcdsTypedError() async throws {
        try await withEtcd { _, client in
            let first = try await client.put("c", "1")
            let second = try await client.put("c", "2")
            try await client.compact(second.revision)
            var options = GetOptions()
            options.revision = first.revision
            do {
                _ = try await client.get(.key("c"), options: options)
                Issue.record("read at a compacted revision succeeded")
            } catch let error as ConcordClientError {
                #expect(error.isCompacted)
                #expect(error.code == .outOfRange)
                #expect(error.description.contains("required revision has been compacted"))
            }
        }
    }

    @Test func badInputIsRefusedWithTypedErrors() async throws {
        #expect(throws: ConcordClientError.self) { try Endpoint(parsing: "no-port") }
        #expect(throws: ConcordClientError.self) { try Endpoint(parsing: "https://127.0.0.1:2379") }
        #expect(try Endpoint(parsing: "http://127.0.0.1:2379/") == Endpoint(host: "127.0.0.1", port: 2379))
        #expect(throws: ConcordClientError.self) { try ConcordClient(endpoints: [Endpoint]()) }
        try await withEtcd { _, client in
            await #expect(throws: ConcordClientError.invalidArgument("key is empty")) { try await client.put("", "v") }
            var options = GetOptions()
            options.revision = 1_000_000
            do {
                _ = try await client.get(.key("k"), options: options)
                Issue.record("read at a future revision succeeded")
            } catch let error as ConcordClientError {
                #expect(error.code == .outOfRange)
                #expect(error.description.contains("future revision"))
            }
            await #expect(throws: ConcordClientError.self) { try await client.grantLease(ttlSeconds: 0) }
        }
    }

    @Test func txnRunsThenOrElseAtomically() async throws {
        try await withEtcd { _, client in
            let put = try await client.put("txn/config", "v1")
            let won = try await client.txn()
                .when(.modRevision("txn/config", .equal, put.revision), .value("txn/config", .equal, "v1"))
                .then(.put("txn/config", "v2"), .put("txn/audit", "changed"), .get(.key("txn/config")))
                .else(.get(.key("txn/config")))
                .commit()
            #expect(won.succeeded)
            #expect(won.results.count == 3)
            #expect(won.results[2].range?.kvs.first?.stringValue == "v2")

            // The same comparison now fails: the else branch runs, nothing is written.
            let lost = try await client.txn()
                .when(.modRevision("txn/config", .equal, put.revision))
                .then(.put("txn/config", "v3"))
                .else(.get(.key("txn/config")), .delete(.key("txn/audit")))
                .commit()
            #expect(!lost.succeeded)
            #expect(lost.results.first?.range?.kvs.first?.stringValue == "v2")
            #expect(try await client.get("txn/audit") == nil)
            #expect(try await client.txn().when(.absent("txn/missing"), .version("txn/config", .equal, 2)).commit().succeeded)
        }
    }
}
