import Testing
import ConcordKV

@Suite("Compaction")
struct CompactionTests {
    @Test("reads below the compacted revision fail; reads at it and above succeed")
    func readsBelowCompactedFail() throws {
        var store = MVCCStore()
        try store.put("a", "1")  // 2
        try store.put("a", "2")  // 3
        try store.put("a", "3")  // 4
        _ = try store.apply(.compact(CompactionRequest(revision: 3)))
        #expect(store.compactedRevision == 3)
        let error = kvError { try store.range(RangeRequest(key: bytes("a"), revision: 2)) }
        #expect(error == .compacted)
        #expect(error?.message == "etcdserver: mvcc: required revision has been compacted")
        #expect(error?.grpcStatusCode == 11)
        #expect(try store.get("a", revision: 3)?.value == bytes("2"))
        #expect(try store.get("a", revision: 3)?.version == 2)
        #expect(try store.get("a", revision: 4)?.value == bytes("3"))
        #expect(try store.get("a")?.createRevision == 2)
    }

    @Test("compacting at or below the compacted revision, or to a future one, is refused and changes nothing")
    func compactErrors() throws {
        var store = MVCCStore()
        try store.put("a", "1")
        try store.put("a", "2")
        #expect(kvError { try store.apply(.compact(CompactionRequest(revision: 4))) } == .futureRevision)
        _ = try store.apply(.compact(CompactionRequest(revision: 2)))
        let before = store
        #expect(kvError { try store.apply(.compact(CompactionRequest(revision: 2))) } == .compacted)
        #expect(kvError { try store.apply(.compact(CompactionRequest(revision: 1))) } == .compacted)
        #expect(store == before)
    }

    @Test("compaction creates no revision and its header carries the current one")
    func compactionRevision() throws {
        var store = MVCCStore()
        try store.put("a", "1")
        let result = try store.apply(.compact(CompactionRequest(revision: 2, physical: true)))
        #expect(result.header.revision == 2)
        #expect(store.currentRevision == 2)
    }

    @Test("compaction frees the history of deleted keys and of overwritten values")
    func freesHistory() throws {
        var store = MVCCStore()
        for round in 0..<10 {
            try store.put("kept", "\(round)")
            try store.put("gone\(round)", "x")
            try store.delete("gone\(round)")
        }
        #expect(store.indexedKeyCount == 11)
        let sizeBefore = store.snapshot().count
        _ = try store.apply(.compact(CompactionRequest(revision: store.currentRevision)))
        #expect(store.indexedKeyCount == 1)
        #expect(store.snapshot().count < sizeBefore / 4)
        #expect(try store.get("kept")?.value == bytes("9"))
        #expect(try store.get("kept")?.version == 10)
    }

    @Test("a key deleted after the compacted revision stays readable at it")
    func deletedAfterCompaction() throws {
        var store = MVCCStore()
        try store.put("a", "1")  // 2
        try store.put("b", "1")  // 3
        _ = try store.apply(.compact(CompactionRequest(revision: 3)))
        try store.delete("a")  // 4
        #expect(try store.get("a", revision: 3)?.value == bytes("1"))
        #expect(try store.get("a") == nil)
    }
}
