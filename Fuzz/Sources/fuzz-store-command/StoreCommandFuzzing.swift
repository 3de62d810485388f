import ConcordKV
import FuzzSupport

/// A log entry's store command (`StoreCommand`: etcd's KV writes and lease
/// changes), as every replica decodes it from the log: decoding refuses
/// bad bytes with an error; what decodes encodes back to the same command
/// and applies to a store without trapping.
enum StoreCommandFuzzing: FuzzTarget {
    static func check(_ bytes: [UInt8]) {
        guard let command = try? StoreCommand(decoding: bytes) else { return }
        precondition((try? StoreCommand(decoding: command.encoded())) == command, "a decoded command does not round-trip")
        var machine = sampleMachine
        _ = try? machine.apply(command, nowMilliseconds: 1_000)
    }

    /// A store with a few keys, some history and a lease, so commands have
    /// something to compare against, delete and revoke.
    static let sampleMachine: KVStateMachine = {
        var machine = KVStateMachine()
        for command in sampleCommands { _ = try? machine.apply(command, nowMilliseconds: 0) }
        return machine
    }()

    static let sampleCommands: [StoreCommand] = [
        .lease(.grant(id: 7, ttlSeconds: 60)),
        .kv(.put(PutRequest(key: Array("a".utf8), value: Array("1".utf8)))),
        .kv(.put(PutRequest(key: Array("b".utf8), value: Array("2".utf8), lease: 7))),
        .kv(.put(PutRequest(key: Array("a".utf8), value: Array("3".utf8), prevKV: true))),
    ]

    static func seeds() throws -> [[UInt8]] {
        let later: [StoreCommand] = [
            .kv(.deleteRange(DeleteRangeRequest(key: Array("a".utf8), rangeEnd: Array("c".utf8), prevKV: true))),
            .kv(.compact(CompactionRequest(revision: 2, physical: true))),
            .kv(.txn(TxnRequest(
                compare: [
                    Compare(key: Array("a".utf8), target: .value(Array("3".utf8)), result: .equal),
                    Compare(key: Array("b".utf8), target: .modRevision(3), result: .less),
                ],
                success: [
                    .put(PutRequest(key: Array("c".utf8), value: Array("4".utf8))),
                    .range(RangeRequest(key: Array("a".utf8), rangeEnd: [0], limit: 2, sortOrder: .descend, sortTarget: .mod)),
                ],
                failure: [.deleteRange(DeleteRangeRequest(key: Array("b".utf8))), .txn(TxnRequest())]))),
            .lease(.revoke(id: 7)),
        ]
        return (sampleCommands + later).map { $0.encoded() }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    StoreCommandFuzzing.testOneInput(data, count)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    StoreCommandFuzzing.initialize()
}
