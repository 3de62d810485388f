import ConcordKV
import FuzzSupport

/// The key-value state machine's snapshot (the store with its history, and
/// the leases), as a node reads it from a snapshot file or from the leader:
/// bad bytes are refused with an error; what decodes snapshots back to the
/// same bytes' state and serves a range.
enum StoreSnapshotFuzzing: FuzzTarget {
    static func check(_ bytes: [UInt8]) {
        _ = try? KVStateMachine.snapshotLength(atStartOf: bytes)
        if let store = try? MVCCStore(snapshot: bytes) {
            precondition((try? MVCCStore(snapshot: store.snapshot())) == store, "a decoded store does not round-trip")
            _ = try? store.range(RangeRequest(key: [0], rangeEnd: [0]))
        }
        guard let machine = try? KVStateMachine(snapshot: bytes) else { return }
        precondition((try? KVStateMachine(snapshot: machine.snapshot())) == machine, "a decoded state machine does not round-trip")
        _ = try? machine.store.range(RangeRequest(key: [0], rangeEnd: [0], revision: 1))
    }

    static func seeds() throws -> [[UInt8]] {
        var machine = KVStateMachine()
        var seeds = [machine.snapshot(), machine.store.snapshot()]
        let commands: [StoreCommand] = [
            .lease(.grant(id: 7, ttlSeconds: 60)),
            .kv(.put(PutRequest(key: Array("a".utf8), value: Array("1".utf8)))),
            .kv(.put(PutRequest(key: Array("b".utf8), value: Array("2".utf8), lease: 7))),
            .kv(.put(PutRequest(key: Array("a".utf8), value: Array("3".utf8)))),
            .kv(.deleteRange(DeleteRangeRequest(key: Array("b".utf8)))),
            .kv(.compact(CompactionRequest(revision: 3))),
        ]
        for command in commands {
            _ = try machine.apply(command, nowMilliseconds: 0)
            seeds.append(machine.snapshot())
        }
        seeds.append(machine.store.snapshot())
        return seeds
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    StoreSnapshotFuzzing.testOneInput(data, count)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    StoreSnapshotFuzzing.initialize()
}
