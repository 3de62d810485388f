import ConcordKV
import Testing

@testable import ConcordServerCore

/// Everything that enters the log is one `LogPayload`: one version, one
/// kind byte, and a clear refusal of anything else.
@Suite struct LogPayloadTests {
    static let id = ProposalID(proposer: 0xA5C1_4AB3, request: 0x7777_0001)

    static let storeCommands: [StoreCommand] = [
        .kv(.put(PutRequest(key: Array("k".utf8), value: Array("v".utf8)))),
        .kv(.put(PutRequest(key: [0, 255], value: [], lease: 7, prevKV: true))),
        .kv(.deleteRange(DeleteRangeRequest(key: Array("a".utf8), rangeEnd: Array("b".utf8)))),
        .kv(.compact(CompactionRequest(revision: 12))),
        .lease(.grant(id: 42, ttlSeconds: 60)),
        .lease(.revoke(id: -3)),
    ]

    @Test(arguments: storeCommands)
    func everyStoreCommandRoundTrips(command: StoreCommand) throws {
        let payload = LogPayload.store(Self.id, command)
        let bytes = payload.encoded()
        #expect(bytes.count == LogPayload.headerBytes + command.encoded().count)
        #expect(try LogPayload(decoding: bytes) == payload)
        #expect(LogPayload.encodedStore(Self.id, commandBytes: command.encoded()) == bytes)
        for length in 0..<bytes.count {
            #expect(throws: WireError.self, "prefix of \(length) bytes") { try LogPayload(decoding: Array(bytes.prefix(length))) }
        }
        #expect(throws: WireError.self) { try LogPayload(decoding: bytes + [0]) }
    }

    /// A client's write carries its caller, or says it has none.
    @Test(arguments: storeCommands)
    func everyCheckedStoreCommandRoundTripsWithAndWithoutACaller(command: StoreCommand) throws {
        for caller in [nil, AuthCaller(name: "alice", revision: 9), AuthCaller(name: "", revision: 0), AuthCaller(name: "zoë", revision: .max)] {
            let payload = LogPayload.checkedStore(Self.id, caller, command)
            let bytes = payload.encoded()
            #expect(try LogPayload(decoding: bytes) == payload)
            #expect(LogPayload.encodedCheckedStore(Self.id, caller: caller, commandBytes: command.encoded()) == bytes)
            for length in 0..<bytes.count {
                #expect(throws: WireError.self, "prefix of \(length) bytes") { try LogPayload(decoding: Array(bytes.prefix(length))) }
            }
            #expect(throws: WireError.self) { try LogPayload(decoding: bytes + [0]) }
        }
    }

    @Test func aCheckedAuthCommandRoundTripsWithAndWithoutACaller() throws {
        let commands: [AuthCommand] = [.enable, .roleAdd(name: "reader"), .userGrantRole(user: "alice", role: "reader")]
        for command in commands {
            for caller in [nil, AuthCaller(name: "root", revision: 4)] {
                let payload = LogPayload.checkedAuth(Self.id, caller, command)
                let bytes = payload.encoded()
                #expect(try LogPayload(decoding: bytes) == payload)
                for length in 0..<bytes.count {
                    #expect(throws: WireError.self, "prefix of \(length) bytes") { try LogPayload(decoding: Array(bytes.prefix(length))) }
                }
                #expect(throws: WireError.self) { try LogPayload(decoding: bytes + [0]) }
            }
        }
        var bytes = LogPayload.checkedAuth(Self.id, nil, .enable).encoded()
        bytes[LogPayload.headerBytes] = 7
        #expect(throws: WireError.invalid("checked auth command: caller flag 7")) { try LogPayload(decoding: bytes) }
    }

    @Test func aCheckedStoreCommandWithABadCallerIsRefused() {
        var bytes = LogPayload.checkedStore(Self.id, nil, .lease(.revoke(id: 1))).encoded()
        bytes[LogPayload.headerBytes] = 2
        #expect(throws: WireError.invalid("checked store command: caller flag 2")) { try LogPayload(decoding: bytes) }
        // A name length past the end of the entry.
        var long = LogPayload.checkedStore(Self.id, AuthCaller(name: "a", revision: 1), .lease(.revoke(id: 1))).encoded()
        long[LogPayload.headerBytes + 1] = 0xFF
        #expect(throws: WireError.self) { try LogPayload(decoding: long) }
    }

    @Test func theFormatsOfEarlierReleasesAndUnknownVersionsAreRefused() {
        // Version 1 was the untyped envelope; 0x4D ("M") began a member proposal.
        for version: UInt8 in [0, 1, 3, 0x4D, 255] {
            var bytes = LogPayload.store(Self.id, .lease(.revoke(id: 1))).encoded()
            bytes[0] = version
            #expect(throws: WireError.invalid("unsupported log payload version \(version)")) { try LogPayload(decoding: bytes) }
        }
    }

    @Test func anUnknownKindIsRefused() {
        for kind: UInt8 in [0, 7, 99] {
            var bytes = LogPayload.store(Self.id, .lease(.revoke(id: 1))).encoded()
            bytes[1] = kind
            #expect(throws: WireError.invalid("unknown log payload kind \(kind)")) { try LogPayload(decoding: bytes) }
        }
    }

    @Test func aStoreCommandThatDoesNotDecodeIsRefusedWithItsReason() {
        var bytes = LogPayload.store(Self.id, .lease(.revoke(id: 1))).encoded()
        bytes[LogPayload.headerBytes] = 9
        #expect(throws: WireError.invalid("store command: unsupported format version 9")) { try LogPayload(decoding: bytes) }
    }
}
