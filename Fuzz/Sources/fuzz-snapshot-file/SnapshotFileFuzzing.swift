import ConcordKV
import ConcordServer
import FuzzSupport

/// A file saved by `etcdctl snapshot save`, as `concord snapshot status` and
/// `concord snapshot restore` read it: refused with a `SnapshotFileError`,
/// or decoded to a state whose canonical encoding saves back to the same
/// file.
///
/// The SHA-256 trailer stops almost every mutation at the hash check, so
/// the first input byte chooses between the bytes as they are and the
/// bytes with a recomputed trailer, which lets the fuzzer reach the
/// padding and state decoding behind it.
enum SnapshotFileFuzzing: FuzzTarget {
    static func check(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        var contents = input.rest()
        if bytes.first.map({ $0 & 1 == 1 }) ?? false, contents.count >= SnapshotFile.trailerBytes {
            let body = Array(contents.dropLast(SnapshotFile.trailerBytes))
            contents = body + SnapshotFile.checksum(body)
        }
        guard let file = try? SnapshotFile(contents: contents) else { return }
        precondition(SnapshotFile.contents(ofState: file.stateBytes) == contents, "a valid snapshot file does not save back to itself")
        _ = file.totalKeys
        _ = file.hash
    }

    static func seeds() throws -> [[UInt8]] {
        var machine = KVStateMachine()
        var seeds: [[UInt8]] = []
        let commands: [StoreCommand] = [
            .lease(.grant(id: 9, ttlSeconds: 30)),
            .kv(.put(PutRequest(key: Array("config/a".utf8), value: Array("1".utf8)))),
            .kv(.put(PutRequest(key: Array("config/b".utf8), value: Array(repeating: 0x62, count: 600), lease: 9))),
            .kv(.deleteRange(DeleteRangeRequest(key: Array("config/a".utf8)))),
        ]
        seeds.append([0] + SnapshotFile.contents(ofState: machine.snapshot()))
        for command in commands {
            _ = try machine.apply(command, nowMilliseconds: 0)
            seeds.append([0] + SnapshotFile.contents(ofState: machine.snapshot()))
        }
        return seeds
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    SnapshotFileFuzzing.testOneInput(data, count)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SnapshotFileFuzzing.initialize()
}
