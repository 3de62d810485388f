import ConcordFoundation
import Testing
@testable import ConcordZooKeeper

@Suite("Jute records, against hand-built bytes")
struct JuteRecordTests {
    let stat = ZooKeeper.Stat(
        czxid: 0x1_0000_0002, mzxid: 3, ctime: 1_700_000_000_000, mtime: 1_700_000_000_500, version: 2, cversion: 4,
        aversion: 1, ephemeralOwner: 0x72, dataLength: 5, numChildren: 3, pzxid: 9)

    var statBytes: [UInt8] {
        long(0x1_0000_0002) + long(3) + long(1_700_000_000_000) + long(1_700_000_000_500) + int(2) + int(4) + int(1)
            + long(0x72) + int(5) + int(3) + long(9)
    }

    @Test("a stat is eleven fields in jute's order, 68 bytes")
    func statLayout() throws {
        #expect(stat.juteEncoded == statBytes)
        #expect(statBytes.count == ZooKeeper.Stat.encodedBytes)
        #expect(try ZooKeeper.Stat(juteEncoded: statBytes) == stat)
        #expect(throws: BinaryDecodingError.self) { try ZooKeeper.Stat(juteEncoded: Array(statBytes.dropLast())) }
    }

    @Test("request and reply headers")
    func headers() throws {
        let request: [UInt8] = [0, 0, 0, 5, 0, 0, 0, 4]
        #expect(ZooKeeper.RequestHeader(xid: 5, type: 4).juteEncoded == request)
        #expect(try ZooKeeper.RequestHeader(juteEncoded: request) == ZooKeeper.RequestHeader(xid: 5, type: 4))
        let reply: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFE] + [0, 0, 0, 0, 0, 0, 0x01, 0x00] + [0xFF, 0xFF, 0xFF, 0x9B]
        #expect(ZooKeeper.ReplyHeader(xid: -2, zxid: 256, err: -101).juteEncoded == reply)
        #expect(try ZooKeeper.ReplyHeader(juteEncoded: reply) == ZooKeeper.ReplyHeader(xid: -2, zxid: 256, err: -101))
    }

    @Test("a connect request with the readOnly byte (kazoo, 3.4+ clients) and without it (old clients)")
    func connectRequest() throws {
        let password: [UInt8] = Array(0..<16)
        let modern = int(0) + long(0x55) + int(10_000) + long(0x1234) + buffer(password) + [1]
        let decoded = try ZooKeeper.ConnectRequest(juteEncoded: modern)
        #expect(decoded == ZooKeeper.ConnectRequest(lastZxidSeen: 0x55, timeoutMilliseconds: 10_000, sessionID: 0x1234, password: password, readOnly: true))
        #expect(decoded.juteEncoded == modern)
        let old = int(0) + long(0) + int(30_000) + long(0) + buffer(Array(repeating: 0, count: 16))
        let oldDecoded = try ZooKeeper.ConnectRequest(juteEncoded: old)
        #expect(oldDecoded.readOnly == nil)
        #expect(oldDecoded.juteEncoded == old)
        // A null password (length -1) reads as empty.
        let nullPassword = int(0) + long(0) + int(30_000) + long(0) + int(-1) + [0]
        #expect(try ZooKeeper.ConnectRequest(juteEncoded: nullPassword).password == [])
    }

    @Test("a connect response, and the one for an invalid session")
    func connectResponse() throws {
        let password: [UInt8] = Array(100..<116)
        let bytes = int(0) + int(4_000) + long(0x7FFF_0000_0000_0001) + buffer(password) + [0]
        let response = ZooKeeper.ConnectResponse(timeoutMilliseconds: 4_000, sessionID: 0x7FFF_0000_0000_0001, password: password, readOnly: false)
        #expect(response.juteEncoded == bytes)
        #expect(try ZooKeeper.ConnectResponse(juteEncoded: bytes) == response)
        let invalid = ZooKeeper.ConnectResponse.invalidSession(readOnly: nil)
        #expect(invalid.juteEncoded == int(0) + int(0) + long(0) + buffer(Array(repeating: 0, count: 16)))
    }

    static let openACL = int(31) + string("world") + string("anyone")

    /// Each request with the op code and body bytes a client sends for it.
    static let requests: [(ZooKeeper.Request, Int32, [UInt8])] = [
        (.write(.single(.create(.init(opCode: .create, path: "/a", data: bytes("hi"), mode: .ephemeralSequential)))), 1,
         string("/a") + buffer(bytes("hi")) + int(1) + openACL + int(3)),
        (.write(.single(.create(.init(opCode: .create2, path: "/b", data: [], mode: .persistent)))), 15,
         string("/b") + buffer([]) + int(1) + openACL + int(0)),
        (.write(.single(.create(.init(opCode: .createContainer, path: "/c", mode: .container)))), 19,
         string("/c") + buffer([]) + int(1) + openACL + int(4)),
        (.write(.single(.create(.init(opCode: .createTTL, path: "/t", mode: .persistentWithTTL, ttlMilliseconds: 5_000)))), 21,
         string("/t") + buffer([]) + int(1) + openACL + int(5) + long(5_000)),
        (.write(.single(.delete(path: "/a", version: 3))), 2, string("/a") + int(3)),
        (.read(.exists(path: "/a", watch: true)), 3, string("/a") + [1]),
        (.read(.getData(path: "/a", watch: false)), 4, string("/a") + [0]),
        (.write(.single(.setData(path: "/a", data: bytes("x"), version: -1))), 5, string("/a") + buffer(bytes("x")) + int(-1)),
        (.read(.getACL(path: "/a")), 6, string("/a")),
        (.write(.setACL(path: "/a", acl: [ZooKeeper.ACL(permissions: [.read, .admin], identity: aliceIdentity)], version: 0)), 7,
         string("/a") + int(1) + int(17) + string("digest") + string(aliceIdentity.id) + int(0)),
        (.read(.getChildren(path: "/", watch: true)), 8, string("/") + [1]),
        (.sync(path: "/a"), 9, string("/a")),
        (.ping, 11, []),
        (.read(.getChildren2(path: "/a", watch: false)), 12, string("/a") + [0]),
        (.write(.single(.check(path: "/a", version: 7))), 13, string("/a") + int(7)),
        (.write(.multi([.check(path: "/a", version: 1), .delete(path: "/a", version: -1),
                        .create(.init(opCode: .create, path: "/n", mode: .persistent))])), 14,
         int(13) + [0] + int(-1) + string("/a") + int(1)
            + int(2) + [0] + int(-1) + string("/a") + int(-1)
            + int(1) + [0] + int(-1) + string("/n") + buffer([]) + int(1) + openACL + int(0)
            + int(-1) + [1] + int(-1)),
        (.checkWatches(path: "/a", type: .data), 17, string("/a") + int(2)),
        (.removeWatches(path: "/a", type: .any), 18, string("/a") + int(3)),
        (.read(.multiRead([.getData(path: "/a"), .getChildren(path: "/")])), 22,
         int(4) + [0] + int(-1) + string("/a") + [0] + int(8) + [0] + int(-1) + string("/") + [0] + int(-1) + [1] + int(-1)),
        (.authenticate(scheme: "digest", credential: bytes("alice:secret")), 100, int(0) + string("digest") + buffer(bytes("alice:secret"))),
        (.setWatches(.init(relativeZxid: 9, dataWatches: ["/a"], existWatches: [], childWatches: ["/", "/b"])), 101,
         long(9) + int(1) + string("/a") + int(0) + int(2) + string("/") + string("/b")),
        (.read(.getEphemerals(prefix: "/e")), 103, string("/e")),
        (.read(.getAllChildrenNumber(path: "/")), 104, string("/")),
        (.setWatches(.init(relativeZxid: 1, persistentRecursiveWatches: ["/r"], isVersion2: true)), 105,
         long(1) + int(0) + int(0) + int(0) + int(0) + int(1) + string("/r")),
        (.addWatch(path: "/r", mode: .persistentRecursive), 106, string("/r") + int(1)),
        (.closeSession, -11, []),
    ]

    @Test("every request kazoo and zkCli send decodes from its hand-built bytes and encodes back to them")
    func requestRecords() throws {
        for (request, type, body) in Self.requests {
            #expect(request.opCode.rawValue == type, "\(request)")
            #expect(request.encodedBody() == body, "\(request)")
            #expect(try ZooKeeper.Request.decode(type: type, body: body[...]) == request, "\(request)")
        }
    }

    @Test("a null buffer reads as empty data, as kazoo sends empty data")
    func nullBufferIsEmpty() throws {
        let body = string("/a") + int(-1) + int(-1)
        #expect(try ZooKeeper.Request.decode(type: 5, body: body[...]) == .write(.single(.setData(path: "/a", data: [], version: -1))))
    }

    @Test("unknown and unserved op codes are unsupported (UNIMPLEMENTED); bad bodies are malformed (MARSHALLINGERROR)")
    func decodingErrors() {
        for type: Int32 in [10, 16, 20, 102, 107, 999, -10] {
            #expect(throws: ZooKeeper.RequestDecodingError.unsupported(opCode: type)) { try ZooKeeper.Request.decode(type: type, body: [][...]) }
        }
        let malformed: [(Int32, [UInt8])] = [
            (4, string("/a")),                              // missing the watch flag
            (4, string("/a") + [1, 0]),                     // a trailing byte
            (4, int(-2) + [0]),                             // a length below -1
            (4, int(0x7FFF_FFFF) + [0]),                    // a length beyond the input
            (4, int(-1) + [0]),                             // a null path
            (4, int(2) + [0x2F, 0xFF] + [0]),               // a path that is not UTF-8
            (14, int(4) + [0] + int(-1) + string("/a") + [0] + int(-1) + [1] + int(-1)),  // getData inside a multi
            (14, int(1) + [0] + int(-1) + string("/a")),    // a multi that stops in an operation
            (22, int(5) + [0] + int(-1) + string("/a") + [0] + int(-1) + [1] + int(-1)),  // setData inside a multiRead
            (1, string("/a") + buffer([]) + int(0x4000_0000) + int(0)),  // an ACL count beyond the input
            (106, string("/a") + int(7)),                   // an unknown addWatch mode
            (18, string("/a") + int(9)),                    // an unknown watcher type
        ]
        for (type, body) in malformed {
            #expect(throws: ZooKeeper.RequestDecodingError.self) { try ZooKeeper.Request.decode(type: type, body: body[...]) }
            let code = (try? ZooKeeper.Request.decode(type: type, body: body[...])) == nil
            #expect(code)
        }
        do {
            _ = try ZooKeeper.Request.decode(type: 4, body: string("/a")[...])
        } catch {
            #expect(error.errorCode == .marshallingError)
        }
    }

    /// Each response with the request op code it answers and its hand-built body.
    var responses: [(ZooKeeper.Response, ZooKeeper.OpCode, [UInt8])] {
        [
            (.path("/a0000000001"), .create, string("/a0000000001")),
            (.pathAndStat(path: "/b", stat: stat), .create2, string("/b") + statBytes),
            (.stat(stat), .exists, statBytes),
            (.stat(stat), .setData, statBytes),
            (.data(data: bytes("hello"), stat: stat), .getData, buffer(bytes("hello")) + statBytes),
            (.children(["x", "y"]), .getChildren, int(2) + string("x") + string("y")),
            (.childrenAndStat(children: [], stat: stat), .getChildren2, int(0) + statBytes),
            (.acl(acl: ZooKeeper.ACL.openUnsafe, stat: stat), .getACL, int(1) + Self.openACL + statBytes),
            (.stat(stat), .setACL, statBytes),
            (.count(12), .getAllChildrenNumber, int(12)),
            (.paths(["/e1"]), .getEphemerals, int(1) + string("/e1")),
            (.path("/a"), .sync, string("/a")),
            (.watchAdded, .addWatch, int(0)),
            (.empty, .delete, []),
            (.multi([.create(path: "/n"), .create2(path: "/m", stat: stat), .delete, .setData(stat: stat), .check]), .multi,
             int(1) + [0] + int(0) + string("/n") + int(15) + [0] + int(0) + string("/m") + statBytes + int(2) + [0] + int(0)
                + int(5) + [0] + int(0) + statBytes + int(13) + [0] + int(0) + int(-1) + [1] + int(-1)),
            (.multi([.error(.ok), .error(.noNode), .error(.runtimeInconsistency)]), .multi,
             int(-1) + [0] + int(0) + int(0) + int(-1) + [0] + int(-101) + int(-101) + int(-1) + [0] + int(-2) + int(-2) + int(-1) + [1] + int(-1)),
            (.multi([.getData(data: bytes("d"), stat: stat), .getChildren(children: ["c"]), .error(.noAuth)]), .multiRead,
             int(4) + [0] + int(0) + buffer(bytes("d")) + statBytes + int(8) + [0] + int(0) + int(1) + string("c")
                + int(-1) + [0] + int(-102) + int(-102) + int(-1) + [1] + int(-1)),
        ]
    }

    @Test("every response encodes to its hand-built body and a client decodes it back")
    func responseRecords() throws {
        for (response, requestType, body) in responses {
            #expect(response.encodedBody() == body, "\(response)")
            #expect(try ZooKeeper.Response.decode(requestType: requestType, body: body[...]) == response, "\(response)")
        }
    }

    @Test("a watch notification is a reply with xid -1 and zxid -1 carrying a WatcherEvent")
    func notificationFrame() throws {
        let frame = ZooKeeper.Frame.notification(ZooKeeper.WatcherEvent(type: .nodeDataChanged, path: "/a"))
        let body = int(-1) + long(-1) + int(0) + int(3) + int(3) + string("/a")
        #expect(frame == int(Int32(body.count)) + body)
        #expect(try ZooKeeper.WatcherEventRecord(juteEncoded: Array(body.dropFirst(16))).event == ZooKeeper.WatcherEvent(type: .nodeDataChanged, path: "/a"))
        #expect(throws: BinaryDecodingError.self) { try ZooKeeper.WatcherEventRecord(juteEncoded: int(99) + int(3) + string("/a")) }
    }

    @Test("the error and op codes carry ZooKeeper's numbers")
    func codes() {
        #expect(ZooKeeper.ErrorCode.noNode.rawValue == -101)
        #expect(ZooKeeper.ErrorCode.nodeExists.rawValue == -110)
        #expect(ZooKeeper.ErrorCode.badVersion.rawValue == -103)
        #expect(ZooKeeper.ErrorCode.sessionExpired.rawValue == -112)
        #expect(ZooKeeper.ErrorCode.noWatcher.rawValue == -121)
        #expect(ZooKeeper.ErrorCode.throttledOperation.rawValue == -127)
        #expect(ZooKeeper.ErrorCode.noNode.description == "NONODE")
        #expect(ZooKeeper.OpCode.getAllChildrenNumber.rawValue == 104)
        #expect(ZooKeeper.OpCode.addWatch.rawValue == 106)
        #expect(ZooKeeper.OpCode.closeSession.rawValue == -11)
        #expect(ZooKeeper.Permissions.all.rawValue == 31)
        #expect(ZooKeeper.Permissions.all.description == "cdrwa")
    }
}
