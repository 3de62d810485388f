import Testing
import ConcordKV

@Suite("Range")
struct RangeTests {
    /// Keys a, ab, abc, b, c with values 1…5 at revisions 2…6.
    static func store() throws -> MVCCStore {
        var store = MVCCStore()
        for (offset, key) in ["a", "ab", "abc", "b", "c"].enumerated() {
            try store.put(key, "\(offset + 1)")
        }
        return store
    }

    @Test("a single key, an interval, a prefix, from-key and all keys select as etcd does")
    func keySelection() throws {
        let store = try Self.store()
        #expect(keys(try store.range(RangeRequest(key: bytes("ab"))).kvs) == ["ab"])
        #expect(keys(try store.range(RangeRequest(key: bytes("zz"))).kvs) == [])
        #expect(keys(try store.range(RangeRequest(key: bytes("ab"), rangeEnd: bytes("b"))).kvs) == ["ab", "abc"])
        // The prefix "a": range end "b".
        #expect(keys(try store.range(RangeRequest(key: bytes("a"), rangeEnd: bytes("b"))).kvs) == ["a", "ab", "abc"])
        #expect(keys(try store.range(RangeRequest(key: bytes("abc"), rangeEnd: [0])).kvs) == ["abc", "b", "c"])
        #expect(keys(try store.range(RangeRequest(key: [0], rangeEnd: [0])).kvs) == ["a", "ab", "abc", "b", "c"])
        // An end before the start selects nothing.
        #expect(try store.range(RangeRequest(key: bytes("c"), rangeEnd: bytes("a"))).kvs.isEmpty)
    }

    @Test("the header carries the current revision, even for a read in the past")
    func headerRevision() throws {
        let store = try Self.store()
        #expect(try store.range(RangeRequest(key: bytes("a"), revision: 3)).header.revision == 6)
    }

    @Test("reads at a past revision see the keys as they were")
    func pastRevisions() throws {
        var store = try Self.store()
        try store.put("a", "new")
        try store.delete("b")
        #expect(try store.get("a", revision: 6)?.value == bytes("1"))
        #expect(try store.get("a")?.value == bytes("new"))
        #expect(try store.get("b", revision: 7) != nil)
        #expect(try store.get("b", revision: 8) == nil)
        #expect(keys(try store.range(RangeRequest(key: [0], rangeEnd: [0], revision: 3)).kvs) == ["a", "ab"])
    }

    @Test("a future revision is refused as out of range")
    func futureRevision() throws {
        let store = try Self.store()
        let error = kvError { try store.range(RangeRequest(key: bytes("a"), revision: 7)) }
        #expect(error == .futureRevision)
        #expect(error?.message == "etcdserver: mvcc: required revision is a future revision")
        #expect(error?.grpcStatusCode == 11)
    }

    @Test("limit truncates, sets more, and count stays the total")
    func limitMoreCount() throws {
        let store = try Self.store()
        let limited = try store.range(RangeRequest(key: [0], rangeEnd: [0], limit: 2))
        #expect(keys(limited.kvs) == ["a", "ab"])
        #expect(limited.more)
        #expect(limited.count == 5)
        let exact = try store.range(RangeRequest(key: [0], rangeEnd: [0], limit: 5))
        #expect(!exact.more)
        #expect(exact.kvs.count == 5)
        let unlimited = try store.range(RangeRequest(key: [0], rangeEnd: [0]))
        #expect(!unlimited.more)
        #expect(unlimited.count == 5)
    }

    @Test("count only returns the count and no pairs")
    func countOnly() throws {
        let store = try Self.store()
        let response = try store.range(RangeRequest(key: bytes("a"), rangeEnd: bytes("b"), limit: 1, countOnly: true))
        #expect(response.kvs.isEmpty)
        #expect(response.count == 3)
        #expect(!response.more)
    }

    @Test("keys only drops values but keeps revisions and versions")
    func keysOnly() throws {
        let store = try Self.store()
        let response = try store.range(RangeRequest(key: bytes("a"), rangeEnd: bytes("b"), keysOnly: true))
        #expect(keys(response.kvs) == ["a", "ab", "abc"])
        #expect(response.kvs.allSatisfy { $0.value.isEmpty && $0.version == 1 })
        #expect(response.kvs.map(\.modRevision) == [2, 3, 4])
    }

    @Test("sorting by each target in each order, with limit applied after sorting")
    func sorting() throws {
        var store = try Self.store()
        try store.put("a", "9")  // a: version 2, mod 7, value "9"
        let all = RangeRequest(key: [0], rangeEnd: [0])
        func sorted(_ order: RangeRequest.SortOrder, _ target: RangeRequest.SortTarget, limit: Int64 = 0) throws -> [String] {
            var request = all
            request.sortOrder = order
            request.sortTarget = target
            request.limit = limit
            return keys(try store.range(request).kvs)
        }
        #expect(try sorted(.descend, .key) == ["c", "b", "abc", "ab", "a"])
        #expect(try sorted(.ascend, .key) == ["a", "ab", "abc", "b", "c"])
        #expect(try sorted(.descend, .mod) == ["a", "c", "b", "abc", "ab"])
        #expect(try sorted(.ascend, .mod) == ["ab", "abc", "b", "c", "a"])
        #expect(try sorted(.ascend, .create) == ["a", "ab", "abc", "b", "c"])
        #expect(try sorted(.descend, .create) == ["c", "b", "abc", "ab", "a"])
        #expect(try sorted(.descend, .value) == ["a", "c", "b", "abc", "ab"])
        // Ties (version 1) keep key order in both directions, as etcd's
        // insertion sort leaves them.
        #expect(try sorted(.descend, .version) == ["a", "ab", "abc", "b", "c"])
        #expect(try sorted(.ascend, .version) == ["ab", "abc", "b", "c", "a"])
        // A target other than the key with no order sorts ascending.
        #expect(try sorted(.none, .mod) == ["ab", "abc", "b", "c", "a"])
        let top = try store.range(RangeRequest(key: [0], rangeEnd: [0], limit: 2, sortOrder: .descend, sortTarget: .mod))
        #expect(keys(top.kvs) == ["a", "c"])
        #expect(top.more)
        #expect(top.count == 5)
    }

    @Test("min and max mod and create revision filters, with count taken before them as in etcd 3.4")
    func revisionFilters() throws {
        var store = try Self.store()
        try store.put("ab", "again")  // ab: create 3, mod 7
        let all = RangeRequest(key: [0], rangeEnd: [0])
        var request = all
        request.minModRevision = 4
        request.maxModRevision = 6
        var response = try store.range(request)
        #expect(keys(response.kvs) == ["abc", "b", "c"])
        #expect(response.count == 5)
        request = all
        request.minCreateRevision = 3
        request.maxCreateRevision = 4
        #expect(keys(try store.range(request).kvs) == ["ab", "abc"])
        request = all
        request.minModRevision = 7
        response = try store.range(request)
        #expect(keys(response.kvs) == ["ab"])
        request.limit = 1
        request.minModRevision = 5
        response = try store.range(request)
        #expect(keys(response.kvs) == ["ab"])
        #expect(response.more)
    }

    @Test("a prefix's range end increments its last byte below 0xff, or reaches every later key")
    func prefixEnd() throws {
        #expect(RangeRequest.prefixEnd(bytes("ab")) == bytes("ac"))
        #expect(RangeRequest.prefixEnd([0x61, 0xff]) == [0x62])
        #expect(RangeRequest.prefixEnd([0xff, 0xff]) == [0])
        var store = try Self.store()
        try store.put("a\u{7f}", "x")
        try store.put("ac", "x")
        #expect(keys(try store.range(.prefix(bytes("ab"))).kvs) == ["ab", "abc"])
        try store.put("\u{7f}", "x")
        _ = try store.apply(.put(PutRequest(key: [0xff, 0xff, 1], value: bytes("x"))))
        #expect(try store.range(.prefix([0xff, 0xff])).kvs.map(\.key) == [[0xff, 0xff, 1]])
    }
}
