import PropertyBased
import Testing
import ConcordKV

@Suite("Snapshots")
struct SnapshotTests {
    static func busyStore() throws -> MVCCStore {
        var store = MVCCStore()
        for round in 0..<6 {
            try store.put("a", "\(round)")
            try store.put("b\(round % 3)", "x")
            if round % 2 == 0 { try store.delete("b", rangeEnd: bytes("c")) }
        }
        _ = try store.apply(.compact(CompactionRequest(revision: 8)))
        try store.put("c", "late")
        return store
    }

    @Test("a restored store equals the original and answers the same reads")
    func restoreEquals() throws {
        let store = try Self.busyStore()
        let restored = try MVCCStore(snapshot: store.snapshot())
        #expect(restored == store)
        for revision in Int64(8)...store.currentRevision {
            let request = RangeRequest(key: [0], rangeEnd: [0], revision: revision)
            #expect(try restored.range(request) == store.range(request))
        }
        #expect(restored.snapshot() == store.snapshot())
    }

    @Test("an empty store's snapshot restores to an empty store")
    func emptySnapshot() throws {
        #expect(try MVCCStore(snapshot: MVCCStore().snapshot()) == MVCCStore())
    }

    @Test("every strict prefix of a snapshot is refused with a typed error")
    func truncatedSnapshots() throws {
        let bytes = try Self.busyStore().snapshot()
        for length in 0..<bytes.count {
            #expect(throws: KVDecodingError.self) { try MVCCStore(snapshot: Array(bytes.prefix(length))) }
        }
    }

    @Test("a snapshot whose keys are out of order is refused as inconsistent")
    func inconsistentSnapshot() throws {
        var one = MVCCStore()
        try one.put("b", "1")
        var two = MVCCStore()
        try two.put("a", "1")
        // Splice two single-key snapshots into one with keys b, a.
        let first = one.snapshot()
        let second = two.snapshot()
        // Layout: version, current, compacted, lease count, key count, key…
        var spliced = Array(first.prefix(4))
        spliced.append(2)
        spliced += first.dropFirst(5)
        spliced += second.dropFirst(5)
        #expect(throws: KVDecodingError.inconsistentSnapshot("keys out of order")) { try MVCCStore(snapshot: spliced) }
    }

    @Test("random garbage is refused or restores to a store that snapshots back to it")
    func garbage() async {
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...40)) { garbage in
            if let store = try? MVCCStore(snapshot: garbage) {
                #expect(store.snapshot() == garbage)
            }
        }
    }
}
