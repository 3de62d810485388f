import PropertyBased
import Testing
import ConcordKV

@Suite("Command encoding")
struct KVCommandEncodingTests {
    /// One command of every kind, with every field away from its default.
    static let samples: [KVCommand] = [
        .put(PutRequest(key: bytes("k"), value: bytes("v"), lease: -5, prevKV: true, ignoreValue: false, ignoreLease: true)),
        .put(PutRequest(key: [0, 255], value: [])),
        .deleteRange(DeleteRangeRequest(key: bytes("a"), rangeEnd: [0], prevKV: true)),
        .compact(CompactionRequest(revision: Int64.max, physical: true)),
        .compact(CompactionRequest(revision: -1)),
        .txn(TxnRequest(
            compare: [
                Compare(key: bytes("a"), target: .value(bytes("x")), result: .notEqual),
                Compare(key: bytes("a"), rangeEnd: bytes("b"), target: .version(3), result: .greater),
                Compare(key: bytes("c"), target: .createRevision(Int64.min), result: .less),
                Compare(key: bytes("d"), target: .modRevision(7), result: .equal),
                Compare(key: bytes("e"), target: .lease(1 << 40), result: .equal),
            ],
            success: [
                .range(RangeRequest(
                    key: bytes("r"), rangeEnd: bytes("s"), limit: 10, revision: 4, sortOrder: .descend, sortTarget: .value,
                    serializable: true, keysOnly: true, countOnly: true, minModRevision: 1, maxModRevision: 2,
                    minCreateRevision: 3, maxCreateRevision: 4)),
                .txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: bytes("n")))], failure: [])),
            ],
            failure: [.put(PutRequest(key: bytes("f"), value: bytes("g"), ignoreValue: true))])),
    ]

    @Test("every sample command survives encoding and decoding unchanged")
    func roundTrip() throws {
        for command in Self.samples {
            let encoded = command.encoded()
            #expect(encoded.first == KVCommand.formatVersion)
            #expect(try KVCommand(decoding: encoded) == command)
        }
    }

    @Test("random puts, deletes and compactions survive encoding")
    func randomRoundTrip() async {
        let input = zip(Gen.uint8().array(of: 0...12), Gen.uint8().array(of: 0...12), Gen.int64(in: Int64.min...Int64.max), Gen.int(in: 0...7))
        await propertyCheck(count: 300, input: input) { key, value, number, flags in
            let commands: [KVCommand] = [
                .put(PutRequest(key: key, value: value, lease: number, prevKV: flags & 1 != 0, ignoreValue: flags & 2 != 0, ignoreLease: flags & 4 != 0)),
                .deleteRange(DeleteRangeRequest(key: key, rangeEnd: value, prevKV: flags & 1 != 0)),
                .compact(CompactionRequest(revision: number, physical: flags & 1 != 0)),
                .txn(TxnRequest(
                    compare: [Compare(key: key, rangeEnd: value, target: .modRevision(number), result: .less)],
                    success: [.range(RangeRequest(key: key, limit: number))])),
            ]
            for command in commands {
                #expect((try? KVCommand(decoding: command.encoded())) == command)
            }
        }
    }

    @Test("every strict prefix of an encoded command is refused with a typed error")
    func truncatedInputs() {
        for command in Self.samples {
            let encoded = command.encoded()
            for length in 0..<encoded.count {
                #expect(throws: KVDecodingError.self) { try KVCommand(decoding: Array(encoded.prefix(length))) }
            }
        }
    }

    @Test("an unknown version, an unknown tag, bad flags and trailing bytes are refused")
    func malformedInputs() {
        let put = KVCommand.put(PutRequest(key: bytes("k"), value: bytes("v"))).encoded()
        var badVersion = put
        badVersion[0] = 9
        #expect(throws: KVDecodingError.unsupportedFormatVersion(9)) { try KVCommand(decoding: badVersion) }
        var badTag = put
        badTag[1] = 5
        #expect(throws: KVDecodingError.unknownTag(field: "command", tag: 5)) { try KVCommand(decoding: badTag) }
        var badFlags = put
        badFlags[badFlags.count - 1] = 8
        #expect(throws: KVDecodingError.invalidFlags(field: "put", flags: 8)) { try KVCommand(decoding: badFlags) }
        #expect(throws: KVDecodingError.trailingBytes(1)) { try KVCommand(decoding: put + [0]) }
        // A length far beyond the input is refused before allocating.
        #expect(throws: KVDecodingError.lengthTooLarge(1 << 40)) {
            try KVCommand(decoding: [1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20])
        }
        #expect(throws: KVDecodingError.invalidVarint) {
            try KVCommand(decoding: [1, 4] + [UInt8](repeating: 0xff, count: 11))
        }
    }

    @Test("random garbage never crashes the decoder")
    func garbage() async {
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...40)) { garbage in
            // Either a command that encodes back to the same bytes, or a typed error.
            if let command = try? KVCommand(decoding: garbage) {
                #expect(command.encoded() == garbage)
            }
        }
    }

    @Test("transactions nested beyond the limit are refused by decoding and by validation")
    func nestingDepth() {
        var request = TxnRequest()
        for _ in 0..<KVLimits.txnNestingDepthMax {
            request = TxnRequest(success: [.txn(request)])
        }
        let command = KVCommand.txn(request)
        #expect(throws: KVDecodingError.nestingTooDeep) { try KVCommand(decoding: command.encoded()) }
        #expect(kvError { try MVCCStore().validate(command) } == .tooManyOperations)
        var shallow = TxnRequest()
        for _ in 1..<KVLimits.txnNestingDepthMax {
            shallow = TxnRequest(success: [.txn(shallow)])
        }
        #expect(throws: Never.self) { try KVCommand(decoding: KVCommand.txn(shallow).encoded()) }
        #expect(kvError { try MVCCStore().validate(.txn(shallow)) } == nil)
    }

    @Test("validate refuses a command above the size limit, and apply of a valid one succeeds")
    func requestTooLarge() throws {
        let store = MVCCStore(limits: KVLimits(requestBytesMax: 100))
        let large = KVCommand.put(PutRequest(key: bytes("k"), value: [UInt8](repeating: 7, count: 100)))
        let error = kvError { try store.validate(large) }
        #expect(error == .requestTooLarge)
        #expect(error?.message == "etcdserver: request is too large")
        #expect(error?.grpcStatusCode == 3)
        #expect(kvError { try store.validate(.put(PutRequest(key: bytes("k"), value: bytes("small")))) } == nil)
        #expect(MVCCStore().limits.requestBytesMax == 1_572_864)
    }
}
