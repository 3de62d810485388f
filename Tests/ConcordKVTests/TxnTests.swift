import Testing
import ConcordKV

@Suite("Transactions")
struct TxnTests {
    static func put(_ key: String, _ value: String, prevKV: Bool = false) -> RequestOp {
        .put(PutRequest(key: bytes(key), value: bytes(value), prevKV: prevKV))
    }

    static func get(_ key: String, rangeEnd: [UInt8] = [], revision: Int64 = 0) -> RequestOp {
        .range(RangeRequest(key: bytes(key), rangeEnd: rangeEnd, revision: revision))
    }

    static func delete(_ key: String, rangeEnd: [UInt8] = []) -> RequestOp {
        .deleteRange(DeleteRangeRequest(key: bytes(key), rangeEnd: rangeEnd))
    }

    static func compare(_ key: String, _ target: Compare.Target, _ result: Compare.Result, rangeEnd: [UInt8] = []) -> Compare {
        Compare(key: bytes(key), rangeEnd: rangeEnd, target: target, result: result)
    }

    /// Whether a transaction with this one compare succeeds on the store.
    static func holds(_ store: MVCCStore, _ compare: Compare) throws -> Bool {
        var copy = store
        return try copy.txn(TxnRequest(compare: [compare])).succeeded
    }

    @Test("compares on value, version, create, mod and lease with each relation")
    func compareTargetsAndResults() throws {
        var store = MVCCStore()
        try store.put("k", "m")  // create 2
        try store.put("x", "x")
        try store.put("k", "m")  // mod 4, version 2
        let cases: [(Compare.Target, Compare.Result, Bool)] = [
            (.value(bytes("m")), .equal, true), (.value(bytes("m")), .notEqual, false),
            (.value(bytes("a")), .greater, true), (.value(bytes("z")), .less, true),
            (.value(bytes("mm")), .less, true), (.value(bytes("m")), .greater, false),
            (.version(2), .equal, true), (.version(1), .greater, true), (.version(3), .less, true),
            (.version(2), .notEqual, false),
            (.createRevision(2), .equal, true), (.createRevision(3), .less, true), (.createRevision(2), .greater, false),
            (.modRevision(4), .equal, true), (.modRevision(3), .greater, true), (.modRevision(4), .less, false),
            (.modRevision(2), .notEqual, true),
            (.lease(0), .equal, true), (.lease(1), .less, true), (.lease(0), .notEqual, false),
        ]
        for (target, result, expected) in cases {
            #expect(try Self.holds(store, Self.compare("k", target, result)) == expected, "\(target) \(result)")
        }
    }

    @Test("on a missing key a value compare fails and the others compare against zero")
    func missingKey() throws {
        let store = MVCCStore()
        #expect(try !Self.holds(store, Self.compare("nope", .value([]), .equal)))
        #expect(try !Self.holds(store, Self.compare("nope", .value(bytes("v")), .notEqual)))
        #expect(try Self.holds(store, Self.compare("nope", .version(0), .equal)))
        #expect(try Self.holds(store, Self.compare("nope", .createRevision(0), .equal)))
        #expect(try Self.holds(store, Self.compare("nope", .modRevision(1), .less)))
        #expect(try Self.holds(store, Self.compare("nope", .lease(0), .equal)))
    }

    @Test("a compare on a range holds only when it holds for every key present")
    func rangeCompare() throws {
        var store = MVCCStore()
        try store.put("a1", "v")
        try store.put("a2", "v")
        try store.put("b", "w")
        #expect(try Self.holds(store, Self.compare("a", .value(bytes("v")), .equal, rangeEnd: bytes("b"))))
        #expect(try !Self.holds(store, Self.compare("a", .value(bytes("v")), .equal, rangeEnd: [0])))
        #expect(try Self.holds(store, Self.compare("a", .modRevision(4), .less, rangeEnd: bytes("b"))))
        #expect(try !Self.holds(store, Self.compare("a", .modRevision(3), .less, rangeEnd: bytes("b"))))
        // An empty range behaves as a missing key.
        #expect(try Self.holds(store, Self.compare("c", .version(0), .equal, rangeEnd: bytes("d"))))
        #expect(try !Self.holds(store, Self.compare("c", .value([]), .equal, rangeEnd: bytes("d"))))
    }

    @Test("success runs when every compare holds, failure otherwise")
    func branches() throws {
        var store = MVCCStore()
        try store.put("k", "1")
        let request = TxnRequest(
            compare: [Self.compare("k", .value(bytes("1")), .equal), Self.compare("k", .version(1), .equal)],
            success: [Self.put("s", "yes")], failure: [Self.put("f", "no")])
        let first = try store.txn(request)
        #expect(first.succeeded)
        #expect(try store.get("s") != nil)
        try store.put("k", "1")
        let second = try store.txn(request)
        #expect(!second.succeeded)
        #expect(try store.get("f") != nil)
    }

    @Test("a write transaction creates one revision and its writes get sub-revisions in order")
    func oneRevisionPerTxn() throws {
        var store = MVCCStore()
        try store.put("old", "x")  // 2
        let response = try store.txn(TxnRequest(success: [
            Self.put("a", "1"), Self.put("b", "2"), Self.delete("old"), Self.get("a"),
        ]))
        #expect(response.header.revision == 3)
        #expect(store.currentRevision == 3)
        #expect(try store.get("a")?.modRevision == 3)
        #expect(try store.get("b")?.modRevision == 3)
        #expect(try store.get("old") == nil)
        #expect(try store.get("old", revision: 2) != nil)
        // Reads inside the transaction see its own earlier writes.
        guard case .range(let read) = response.responses[3] else { Issue.record("not a range"); return }
        #expect(read.kvs.first?.value == bytes("1"))
        #expect(read.header.revision == 3)
        guard case .put(let put) = response.responses[0] else { Issue.record("not a put"); return }
        #expect(put.header.revision == 3)
    }

    @Test("a read-only transaction creates no revision, applied or served outside the log")
    func readOnlyTxn() throws {
        var store = MVCCStore()
        try store.put("a", "1")
        let request = TxnRequest(compare: [Self.compare("a", .version(1), .equal)], success: [Self.get("a")])
        #expect(request.isReadOnly)
        let served = try store.readOnlyTxn(request)
        let applied = try store.txn(request)
        #expect(served == applied)
        #expect(applied.header.revision == 2)
        #expect(store.currentRevision == 2)
    }

    @Test("a write transaction that changes nothing creates no revision")
    func noChange() throws {
        var store = MVCCStore()
        try store.put("a", "1")
        let response = try store.txn(TxnRequest(success: [Self.delete("missing")]))
        #expect(response.header.revision == 2)
        #expect(store.currentRevision == 2)
    }

    @Test("nested transactions take their branch on the state before the outer one")
    func nested() throws {
        var store = MVCCStore()
        try store.put("flag", "off")
        let inner = TxnRequest(
            compare: [Self.compare("flag", .value(bytes("off")), .equal)],
            success: [Self.put("inner", "saw-off")], failure: [Self.put("inner", "saw-on")])
        let outer = TxnRequest(success: [Self.put("flag", "on"), .txn(inner), Self.get("inner")])
        let response = try store.txn(outer)
        #expect(try store.get("inner")?.value == bytes("saw-off"))
        #expect(response.header.revision == 3)
        guard case .txn(let nestedResponse) = response.responses[1] else { Issue.record("not a txn"); return }
        #expect(nestedResponse.succeeded)
        #expect(nestedResponse.responses.count == 1)
        // As in etcd, a nested transaction's header carries no revision.
        #expect(nestedResponse.header.revision == 0)
        guard case .range(let read) = response.responses[2] else { Issue.record("not a range"); return }
        #expect(read.kvs.first?.value == bytes("saw-off"))
    }

    @Test("duplicate keys in a transaction are refused as etcd's checkIntervals refuses them")
    func duplicateKeys() throws {
        var store = MVCCStore()
        try store.put("a", "1")
        let before = store
        let refused: [[RequestOp]] = [
            [Self.put("a", "1"), Self.put("a", "2")],
            [Self.put("a", "1"), Self.delete("a")],
            [Self.delete("a", rangeEnd: bytes("c")), Self.put("b", "1")],
            [Self.delete("a", rangeEnd: [0]), Self.put("z", "1")],
            [.txn(TxnRequest(success: [Self.delete("k")])), Self.put("k", "1")],
            [Self.delete("k"), .txn(TxnRequest(success: [Self.put("k", "1")]))],
            [.txn(TxnRequest(success: [Self.put("k", "1")])), .txn(TxnRequest(failure: [Self.put("k", "2")]))],
        ]
        for success in refused {
            let error = kvError { try store.apply(.txn(TxnRequest(success: success))) }
            #expect(error == .duplicateKey, "\(success)")
            #expect(kvError { try store.validate(.txn(TxnRequest(failure: success))) } == .duplicateKey)
        }
        #expect(store == before)
        #expect(KVError.duplicateKey.message == "etcdserver: duplicate key given in txn request")
        // Allowed: the two branches of one nested transaction may put the
        // same key; success and failure are checked separately; deletes may
        // overlap one another.
        let allowed: [TxnRequest] = [
            TxnRequest(success: [.txn(TxnRequest(success: [Self.put("k", "1")], failure: [Self.put("k", "2")]))]),
            TxnRequest(success: [Self.put("k", "1")], failure: [Self.put("k", "2")]),
            TxnRequest(success: [Self.delete("a"), Self.delete("a", rangeEnd: bytes("c"))]),
        ]
        for request in allowed {
            _ = try store.txn(request)
        }
    }

    @Test("too many operations are refused, counting a nested transaction against its parent's budget")
    func tooManyOperations() throws {
        var store = MVCCStore(limits: KVLimits(txnOperationsMax: 4))
        let five = (0..<5).map { Self.put("k\($0)", "v") }
        #expect(kvError { try store.apply(.txn(TxnRequest(success: five))) } == .tooManyOperations)
        let compares = (0..<5).map { Self.compare("k\($0)", .version(0), .equal) }
        #expect(kvError { try store.apply(.txn(TxnRequest(compare: compares))) } == .tooManyOperations)
        // The outer list uses 3 of 4: a nested transaction may use 1.
        let nestedTwo = TxnRequest(success: [Self.put("x", "1"), Self.put("y", "1")])
        let outer = TxnRequest(success: [Self.put("a", "1"), Self.put("b", "1"), .txn(nestedTwo)])
        #expect(kvError { try store.apply(.txn(outer)) } == .tooManyOperations)
        #expect(store == MVCCStore(limits: KVLimits(txnOperationsMax: 4)))
        let nestedOne = TxnRequest(success: [Self.put("x", "1")])
        _ = try store.txn(TxnRequest(success: [Self.put("a", "1"), Self.put("b", "1"), .txn(nestedOne)]))
        #expect(KVError.tooManyOperations.message == "etcdserver: too many operations in txn request")
        #expect(MVCCStore().limits.txnOperationsMax == 128)
    }

    @Test("a transaction refused on the path it takes applies none of its operations")
    func refusedTxnAppliesNothing() throws {
        var store = MVCCStore()
        try store.put("a", "1")
        let before = store
        let requests: [(TxnRequest, KVError)] = [
            (TxnRequest(success: [Self.put("b", "1"), .put(PutRequest(key: bytes("c"), ignoreValue: true))]), .keyNotFound),
            (TxnRequest(success: [Self.put("b", "1"), .put(PutRequest(key: bytes("c"), lease: 9))]), .leaseNotFound),
            (TxnRequest(success: [Self.put("b", "1"), Self.get("a", revision: 3)]), .futureRevision),
            (TxnRequest(success: [Self.put("b", "1"), .txn(TxnRequest(success: [Self.get("a", revision: 9)]))]), .futureRevision),
            (TxnRequest(success: [Self.put("b", "1"), .put(PutRequest(key: []))]), .emptyKey),
            (TxnRequest(compare: [Self.compare("", .version(0), .equal)], success: [Self.put("b", "1")]), .emptyKey),
        ]
        for (request, expected) in requests {
            #expect(kvError { try store.apply(.txn(request)) } == expected)
            #expect(store == before)
        }
        // A bad operation on the branch not taken does not matter.
        let untaken = TxnRequest(
            compare: [Self.compare("a", .version(1), .equal)], success: [Self.put("b", "1")],
            failure: [.put(PutRequest(key: bytes("c"), ignoreValue: true))])
        #expect(try store.txn(untaken).succeeded)
    }

    @Test("a read in a transaction at a compacted revision is refused")
    func compactedReadInTxn() throws {
        var store = MVCCStore()
        try store.put("a", "1")
        try store.put("a", "2")
        _ = try store.apply(.compact(CompactionRequest(revision: 3)))
        #expect(kvError { try store.apply(.txn(TxnRequest(success: [Self.get("a", revision: 2)]))) } == .compacted)
        #expect(kvError { try store.readOnlyTxn(TxnRequest(success: [Self.get("a", revision: 2)])) } == .compacted)
    }

    @Test("put and delete responses inside a transaction carry prevKV")
    func prevKVInTxn() throws {
        var store = MVCCStore()
        try store.put("a", "1")
        let response = try store.txn(TxnRequest(success: [
            Self.put("a", "2", prevKV: true), .deleteRange(DeleteRangeRequest(key: bytes("b"), prevKV: true)),
        ]))
        guard case .put(let put) = response.responses[0], case .deleteRange(let delete) = response.responses[1] else {
            Issue.record("unexpected responses")
            return
        }
        #expect(put.prevKV?.value == bytes("1"))
        #expect(delete.deleted == 0)
        #expect(delete.header.revision == 3)
    }
}
