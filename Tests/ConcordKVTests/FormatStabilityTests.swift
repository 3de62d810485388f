import Testing
import ConcordKV

/// Log entries and snapshots outlive the code that wrote them: these exact
/// bytes must keep decoding to the same commands and stores (format 1).
@Suite("Format stability")
struct FormatStabilityTests {
    @Test("format 1 command bytes decode to the same commands and encode back")
    func commandBytes() throws {
        let cases: [([UInt8], KVCommand)] = [
            ([1, 1, 1, 107, 1, 118, 0, 0], .put(PutRequest(key: bytes("k"), value: bytes("v")))),
            ([1, 1, 1, 107, 0, 3, 5], .put(PutRequest(key: bytes("k"), lease: -2, prevKV: true, ignoreLease: true))),
            ([1, 2, 1, 97, 1, 0, 1], .deleteRange(DeleteRangeRequest(key: bytes("a"), rangeEnd: [0], prevKV: true))),
            ([1, 4, 10, 1], .compact(CompactionRequest(revision: 5, physical: true))),
            (
                [1, 3, 1, 3, 0, 0, 1, 107, 0, 1, 3, 1, 107, 0, 0, 0],
                .txn(TxnRequest(
                    compare: [Compare(key: bytes("k"), target: .version(0), result: .notEqual)],
                    success: [.deleteRange(DeleteRangeRequest(key: bytes("k")))]))
            ),
        ]
        for (encoded, command) in cases {
            #expect(try KVCommand(decoding: encoded) == command)
            #expect(command.encoded() == encoded)
        }
    }

    @Test("a format 1 snapshot decodes to the same store and encodes back")
    func snapshotBytes() throws {
        var store = MVCCStore()
        try store.put("k", "v")
        let encoded: [UInt8] = [1, 4, 0, 0, 1, 1, 107, 1, 4, 1, 4, 0, 2, 0, 1, 118, 0]
        #expect(store.snapshot() == encoded)
        #expect(try MVCCStore(snapshot: encoded) == store)
    }
}
