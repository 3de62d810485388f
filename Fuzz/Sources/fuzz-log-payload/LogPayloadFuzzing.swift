import ConcordKV
import ConcordServerCore
import FuzzSupport

/// A log entry as every replica decodes it (`LogPayload`: a store command,
/// a member change, an auth command, or a client's store or auth command
/// with its caller, with its proposal id): decoding refuses bad bytes with an
/// error; what decodes encodes back to the same bytes' meaning.
enum LogPayloadFuzzing: FuzzTarget {
    static func check(_ bytes: [UInt8]) {
        guard let payload = try? LogPayload(decoding: bytes) else { return }
        precondition((try? LogPayload(decoding: payload.encoded())) == payload, "a decoded payload does not round-trip")
    }

    static func seeds() throws -> [[UInt8]] {
        let id = ProposalID(proposer: 0xA5C1, request: 7)
        let member = MemberRecord(id: 9, name: "n9", peerURLs: ["http://127.0.0.1:2380"], clientURLs: ["http://127.0.0.1:2379"])
        let payloads: [LogPayload] = [
            .store(id, .kv(.put(PutRequest(key: Array("k".utf8), value: Array("v".utf8), lease: 7)))),
            .store(id, .kv(.deleteRange(DeleteRangeRequest(key: Array("a".utf8), rangeEnd: Array("b".utf8))))),
            .store(id, .lease(.grant(id: 7, ttlSeconds: 60))),
            .member(id, .add(member)),
            .member(id, .remove(id: 9)),
            .member(id, .update(id: 9, peerURLs: ["http://a:1", "http://b:2"])),
            .member(id, .publish(id: 9, name: "n9", clientURLs: ["http://127.0.0.1:2379"])),
            .checkedStore(id, AuthCaller(name: "alice", revision: 9), .kv(.put(PutRequest(key: Array("k".utf8), value: Array("v".utf8), lease: 7)))),
            .checkedStore(id, nil, .kv(.deleteRange(DeleteRangeRequest(key: Array("a".utf8), rangeEnd: Array("b".utf8))))),
            .auth(id, .userAdd(name: "alice", passwordHash: "$2a$10$abcdefghijklmnopqrstuv", noPassword: false)),
            .checkedAuth(id, AuthCaller(name: "root", revision: 3), .userGrantRole(user: "alice", role: "reader")),
            .checkedAuth(id, nil, .enable),
        ]
        return payloads.map { $0.encoded() }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    LogPayloadFuzzing.testOneInput(data, count)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    LogPayloadFuzzing.initialize()
}
