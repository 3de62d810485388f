import Testing
import ConcordKV

@Suite("Put and delete")
struct PutAndDeleteTests {
    @Test("a fresh store is at revision 1 and the first put creates revision 2")
    func firstPutCreatesRevisionTwo() throws {
        var store = MVCCStore()
        #expect(store.currentRevision == 1)
        let response = try store.put("a", "1")
        #expect(response.header.revision == 2)
        #expect(store.currentRevision == 2)
        #expect(try store.get("a") == KeyValue(key: bytes("a"), createRevision: 2, modRevision: 2, version: 1, value: bytes("1")))
    }

    @Test("puts to an existing key keep its create revision and count its versions")
    func versionsCount() throws {
        var store = MVCCStore()
        try store.put("a", "1")
        try store.put("b", "x")
        try store.put("a", "2")
        let pair = try #require(try store.get("a"))
        #expect(pair.createRevision == 2)
        #expect(pair.modRevision == 4)
        #expect(pair.version == 2)
        #expect(pair.value == bytes("2"))
    }

    @Test("a key deleted and put again starts a new generation")
    func recreateStartsNewGeneration() throws {
        var store = MVCCStore()
        try store.put("a", "1")
        try store.put("a", "2")
        let deleted = try store.delete("a")
        #expect(deleted.deleted == 1)
        #expect(deleted.header.revision == 4)
        #expect(try store.get("a") == nil)
        try store.put("a", "3")
        let pair = try #require(try store.get("a"))
        #expect(pair.createRevision == 5)
        #expect(pair.version == 1)
        // The old generation is still readable in the past.
        #expect(try store.get("a", revision: 3)?.version == 2)
        #expect(try store.get("a", revision: 3)?.createRevision == 2)
        #expect(try store.get("a", revision: 4) == nil)
    }

    @Test("put with prevKV returns the pair before the put, and nothing for a new key")
    func putPrevKV() throws {
        var store = MVCCStore()
        #expect(try store.put("a", "1", prevKV: true).prevKV == nil)
        let response = try store.put("a", "2", prevKV: true)
        #expect(response.prevKV?.value == bytes("1"))
        #expect(response.prevKV?.modRevision == 2)
        #expect(try store.put("a", "3").prevKV == nil)
    }

    @Test("ignoreValue keeps the value and ignoreLease keeps the lease, but need the key to exist")
    func ignoreFlags() throws {
        var store = MVCCStore()
        #expect(kvError { try store.apply(.put(PutRequest(key: bytes("a"), ignoreValue: true))) } == .keyNotFound)
        #expect(kvError { try store.apply(.put(PutRequest(key: bytes("a"), ignoreLease: true))) } == .keyNotFound)
        #expect(store.currentRevision == 1)
        try store.put("a", "kept")
        _ = try store.apply(.put(PutRequest(key: bytes("a"), ignoreValue: true)))
        let pair = try #require(try store.get("a"))
        #expect(pair.value == bytes("kept"))
        #expect(pair.version == 2)
        _ = try store.apply(.put(PutRequest(key: bytes("a"), value: bytes("new"), ignoreLease: true)))
        #expect(try store.get("a")?.value == bytes("new"))
    }

    @Test("ignore flags with a value or lease given are refused with etcd's messages")
    func ignoreFlagMisuse() {
        var store = MVCCStore()
        let value = kvError { try store.apply(.put(PutRequest(key: bytes("a"), value: bytes("v"), ignoreValue: true))) }
        #expect(value == .valueProvided)
        #expect(value?.message == "etcdserver: value is provided")
        let lease = kvError { try store.apply(.put(PutRequest(key: bytes("a"), lease: 7, ignoreLease: true))) }
        #expect(lease == .leaseProvided)
        #expect(lease?.message == "etcdserver: lease is provided")
        #expect(store == MVCCStore())
    }

    @Test("a put with an unknown lease is refused as not found")
    func unknownLease() {
        var store = MVCCStore()
        let error = kvError { try store.apply(.put(PutRequest(key: bytes("a"), value: bytes("v"), lease: 42))) }
        #expect(error == .leaseNotFound)
        #expect(error?.message == "etcdserver: requested lease not found")
        #expect(error?.grpcStatusCode == 5)
        #expect(store.currentRevision == 1)
    }

    @Test("an empty key is refused for put, delete and range")
    func emptyKey() {
        var store = MVCCStore()
        #expect(kvError { try store.apply(.put(PutRequest(key: [], value: bytes("v")))) } == .emptyKey)
        #expect(kvError { try store.apply(.deleteRange(DeleteRangeRequest(key: []))) } == .emptyKey)
        #expect(kvError { try store.range(RangeRequest(key: [])) } == .emptyKey)
        #expect(KVError.emptyKey.message == "etcdserver: key is not provided")
        #expect(KVError.emptyKey.grpcStatusCode == 3)
        #expect(store == MVCCStore())
    }

    @Test("deleting nothing creates no revision")
    func deleteNothing() throws {
        var store = MVCCStore()
        try store.put("a", "1")
        let response = try store.delete("b")
        #expect(response.deleted == 0)
        #expect(response.header.revision == 2)
        #expect(store.currentRevision == 2)
    }

    @Test("a range delete removes every live key of the range at one revision and returns them with prevKV")
    func deleteRangeWithPrevKV() throws {
        var store = MVCCStore()
        for key in ["a", "b", "c", "d"] { try store.put(key, key.uppercased()) }
        try store.delete("b")
        let response = try store.delete("a", rangeEnd: bytes("d"), prevKV: true)
        #expect(response.deleted == 2)
        #expect(keys(response.prevKVs) == ["a", "c"])
        #expect(response.prevKVs.map(\.value) == [bytes("A"), bytes("C")])
        #expect(store.currentRevision == 7)
        #expect(keys(try store.range(RangeRequest(key: [0], rangeEnd: [0])).kvs) == ["d"])
    }

    @Test("a from-key delete removes every key from the first on")
    func deleteFromKey() throws {
        var store = MVCCStore()
        for key in ["a", "b", "c"] { try store.put(key, "v") }
        #expect(try store.delete("b", rangeEnd: [0]).deleted == 2)
        #expect(keys(try store.range(RangeRequest(key: [0], rangeEnd: [0])).kvs) == ["a"])
    }
}
