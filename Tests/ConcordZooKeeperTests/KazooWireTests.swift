import ConcordFoundation
import Foundation
import Testing
@testable import ConcordZooKeeper

/// The jute codec against a real client: Debian's python3-kazoo talks to a
/// small Python socket server that records every byte kazoo sends and
/// answers each request with a reply this codec encoded. The test then
/// decodes kazoo's bytes with the codec, checks each frame encodes back to
/// exactly the bytes kazoo sent, and checks kazoo read every answer as the
/// values that were encoded.
@Suite("Jute against kazoo")
struct KazooWireTests {
    /// The Python side: the recording server (a thread per connection,
    /// breaking the session's connection once so that kazoo reattaches)
    /// and kazoo driving one session through the operations below. The
    /// alarm is the exchange's deadline: a hung client or server ends the
    /// process with a failure instead of hanging the test.
    static let script = #"""
        import signal, socket, struct, sys, threading, json
        signal.alarm(60)
        from kazoo.client import KazooClient
        from kazoo.exceptions import BadVersionError, NotEmptyError
        from kazoo.security import make_digest_acl

        spec = json.loads(sys.argv[1])
        replies = [bytes.fromhex(reply) for reply in spec["replies"]]
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        port = server.getsockname()[1]
        connections = []
        words = bytearray()
        problems = []
        answered = 0
        dropped = threading.Event()

        def read_exactly(connection, count, record):
            data = b""
            while len(data) < count:
                chunk = connection.recv(count - len(data))
                if not chunk:
                    raise EOFError("closed after %d of %d bytes" % (len(data), count))
                data += chunk
            record.extend(data)
            return data

        def handle(connection):
            global answered
            try:
                first = read_exactly(connection, 4, bytearray())
                if first.isalpha():
                    words.extend(first)
                    connection.sendall(spec["words"][first.decode()].encode())
                    connection.close()
                    return
                received = bytearray(first)
                connections.append(received)
                read_exactly(connection, struct.unpack(">i", first)[0], received)
                connection.sendall(bytes.fromhex(spec["connect"]))
                while True:
                    length = struct.unpack(">i", read_exactly(connection, 4, received))[0]
                    body = read_exactly(connection, length, received)
                    xid, kind = struct.unpack(">ii", body[:8])
                    if kind == 11:
                        connection.sendall(bytes.fromhex(spec["ping"]))
                        continue
                    if kind == 100:
                        connection.sendall(bytes.fromhex(spec["auth"]))
                        continue
                    reply = bytearray(replies[answered])
                    reply[4:8] = struct.pack(">i", xid)
                    connection.sendall(reply)
                    if answered == spec["notifyAfter"]:
                        connection.sendall(bytes.fromhex(spec["notification"]))
                    answered += 1
                    if kind == -11 or answered - 1 == spec["dropAfter"]:
                        # After dropAfter the connection breaks, and kazoo
                        # reattaches its session on a new one.
                        if kind != -11:
                            dropped.set()
                        connection.close()
                        return
            except Exception as error:
                problems.append(repr(error))

        def serve():
            while True:
                connection, _ = server.accept()
                threading.Thread(target=handle, args=(connection,), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()

        def stat(value):
            return ",".join(str(field) for field in value)

        events = []
        fired = threading.Event()
        def watcher(event):
            events.append("%s %s %s" % (event.type, event.state, event.path))
            fired.set()

        reconnected = threading.Event()
        def listener(state):
            if state == "CONNECTED" and dropped.is_set():
                reconnected.set()

        results = []
        zk = KazooClient(hosts="127.0.0.1:%d" % port, timeout=10.0)
        zk.add_listener(listener)
        zk.start(timeout=20)
        results.append("session=%x %s" % (zk.client_id[0], zk.client_id[1].hex()))
        zk.add_auth("digest", "alice:secret")
        results.append("create=" + zk.create("/concord", b"value"))
        results.append("sequential=" + zk.create("/concord/e-", b"", ephemeral=True, sequence=True))
        path, created = zk.create("/concord/s", b"x", include_data=True)
        results.append("create2=%s %s" % (path, stat(created)))
        data, got = zk.get("/concord")
        results.append("get=%s %s" % (data.hex(), stat(got)))
        results.append("set=" + stat(zk.set("/concord", b"new", version=3)))
        try:
            zk.set("/concord", b"new", version=99)
            results.append("badVersion=no error")
        except BadVersionError:
            results.append("badVersion=BadVersionError")
        results.append("missing=%r" % (zk.exists("/missing"),))
        results.append("exists=" + stat(zk.exists("/concord", watch=watcher)))
        fired.wait(20)
        results.append("event=" + ";".join(events))
        results.append("children=" + ",".join(zk.get_children("/concord")))
        children, parent = zk.get_children("/concord", include_data=True)
        results.append("children2=%s %s" % (",".join(children), stat(parent)))
        acls, node = zk.get_acls("/concord")
        results.append("acl=%s %s" % (";".join("%d %s %s" % (acl.perms, acl.id.scheme, acl.id.id) for acl in acls), stat(node)))
        results.append("setACL=" + stat(zk.set_acls("/concord", [make_digest_acl("alice", "secret", all=True)], version=1)))
        results.append("sync=" + zk.sync("/concord"))
        transaction = zk.transaction()
        transaction.create("/concord/t", b"1")
        transaction.check("/concord", 4)
        transaction.set_data("/concord/s", b"y")
        transaction.delete("/concord/e-0000000007")
        results.append("multi=" + ";".join(item if isinstance(item, str) else stat(item) if isinstance(item, tuple) else repr(item) for item in transaction.commit()))
        failing = zk.transaction()
        failing.create("/concord/u", b"")
        failing.delete("/nowhere")
        failing.set_data("/concord", b"z")
        results.append("failedMulti=" + ";".join(type(item).__name__ for item in failing.commit()))
        try:
            zk.delete("/concord")
            results.append("notEmpty=no error")
        except NotEmptyError:
            results.append("notEmpty=NotEmptyError")
        results.append("delete=%r" % (zk.delete("/concord/s", version=1),))
        results.append("reconnected=%s" % reconnected.wait(20))
        results.append("ruok=" + zk.command(b"ruok"))
        zk.stop()
        zk.close()
        results.append("problems=" + ";".join(problems))
        results.append("connection-bytes=" + ",".join(received.hex() for received in connections))
        results.append("word-bytes=" + words.hex())
        print("\n".join(results))
        """#

    /// The stat every reply carries, with fields distinct enough that a
    /// field read from the wrong place shows.
    static let stat = ZooKeeper.Stat(
        czxid: 0x1_0000_0011, mzxid: 0x22, ctime: 1_765_000_000_123, mtime: 1_765_000_000_456, version: 3, cversion: 5,
        aversion: 1, ephemeralOwner: 0, dataLength: 5, numChildren: 2, pzxid: 0x33)

    /// A stat as the script prints it: kazoo's `ZnodeStat` fields in jute's order.
    static func text(_ stat: ZooKeeper.Stat) -> String {
        [stat.czxid, stat.mzxid, stat.ctime, stat.mtime, Int64(stat.version), Int64(stat.cversion), Int64(stat.aversion),
         stat.ephemeralOwner, Int64(stat.dataLength), Int64(stat.numChildren), stat.pzxid].map(String.init).joined(separator: ",")
    }

    static let sessionID: Int64 = 0x0123_4567_89AB_CDEF
    static let password: [UInt8] = Array(200..<216)
    static let digestACL = [ZooKeeper.ACL(permissions: .all, identity: aliceIdentity)]

    /// The auth packet kazoo sends after each connect once `add_auth` was
    /// called (the script answers each with an OK header, xid -4).
    static let authentication = ZooKeeper.Request.authenticate(scheme: "digest", credential: bytes("alice:secret"))

    /// What kazoo is expected to send after the connect and its auth, in
    /// order (pings aside), with the error and body this side answers each
    /// with. The connection breaks after the one before last; closeSession
    /// comes on the connection kazoo reattaches the session on.
    static var exchange: [(request: ZooKeeper.Request, error: ZooKeeper.ErrorCode, response: ZooKeeper.Response)] {
        let stat = Self.stat
        return [
            (.write(.single(.create(.init(opCode: .create, path: "/concord", data: bytes("value"), mode: .persistent)))), .ok, .path("/concord")),
            (.write(.single(.create(.init(opCode: .create, path: "/concord/e-", mode: .ephemeralSequential)))), .ok, .path("/concord/e-0000000007")),
            (.write(.single(.create(.init(opCode: .create2, path: "/concord/s", data: bytes("x"), mode: .persistent)))), .ok,
             .pathAndStat(path: "/concord/s", stat: stat)),
            (.read(.getData(path: "/concord", watch: false)), .ok, .data(data: bytes("value"), stat: stat)),
            (.write(.single(.setData(path: "/concord", data: bytes("new"), version: 3))), .ok, .stat(stat)),
            (.write(.single(.setData(path: "/concord", data: bytes("new"), version: 99))), .badVersion, .empty),
            (.read(.exists(path: "/missing", watch: false)), .noNode, .empty),
            (.read(.exists(path: "/concord", watch: true)), .ok, .stat(stat)),
            (.read(.getChildren(path: "/concord", watch: false)), .ok, .children(["e-0000000007", "s"])),
            (.read(.getChildren2(path: "/concord", watch: false)), .ok, .childrenAndStat(children: ["e-0000000007", "s"], stat: stat)),
            (.read(.getACL(path: "/concord")), .ok, .acl(acl: ZooKeeper.ACL.openUnsafe + digestACL, stat: stat)),
            (.write(.setACL(path: "/concord", acl: digestACL, version: 1)), .ok, .stat(stat)),
            (.sync(path: "/concord"), .ok, .path("/concord")),
            (.write(.multi([
                .create(.init(opCode: .create, path: "/concord/t", data: bytes("1"), mode: .persistent)),
                .check(path: "/concord", version: 4),
                .setData(path: "/concord/s", data: bytes("y"), version: -1),
                .delete(path: "/concord/e-0000000007", version: -1),
            ])), .ok, .multi([.create(path: "/concord/t"), .check, .setData(stat: stat), .delete])),
            (.write(.multi([
                .create(.init(opCode: .create, path: "/concord/u", mode: .persistent)),
                .delete(path: "/nowhere", version: -1),
                .setData(path: "/concord", data: bytes("z"), version: -1),
            ])), .ok, .multi([.error(.ok), .error(.noNode), .error(.runtimeInconsistency)])),
            (.write(.single(.delete(path: "/concord", version: -1))), .notEmpty, .empty),
            (.write(.single(.delete(path: "/concord/s", version: 1))), .ok, .empty),
            (.closeSession, .ok, .empty),
        ]
    }

    /// The index in ``exchange`` after whose answer a watch notification follows.
    static var notifyAfter: Int { exchange.firstIndex { $0.request == .read(.exists(path: "/concord", watch: true)) }! }
    /// The index in ``exchange`` after whose answer the connection breaks.
    static var dropAfter: Int { exchange.count - 2 }
    static let notification = ZooKeeper.WatcherEvent(type: .nodeDataChanged, path: "/concord")

    /// What kazoo is expected to report, line by line, from the values encoded above.
    static var expectedResults: [String: String] {
        let stat = text(Self.stat)
        return [
            "session": String(UInt64(sessionID), radix: 16) + " " + hex(password),
            "create": "/concord",
            "sequential": "/concord/e-0000000007",
            "create2": "/concord/s " + stat,
            "get": hex(bytes("value")) + " " + stat,
            "set": stat,
            "badVersion": "BadVersionError",
            "missing": "None",
            "exists": stat,
            "event": "CHANGED CONNECTED /concord",
            "children": "e-0000000007,s",
            "children2": "e-0000000007,s " + stat,
            "acl": "31 world anyone;31 digest \(aliceIdentity.id) " + stat,
            "setACL": stat,
            "sync": "/concord",
            "multi": "/concord/t;True;\(stat);True",
            "failedMulti": "RolledBackError;NoNodeError;RuntimeInconsistency",
            "notEmpty": "NotEmptyError",
            "delete": "True",
            "reconnected": "True",
            "ruok": ZooKeeper.FourLetterWord.ruok.respond(ZooKeeper.ServerStatistics(version: "3.8.4-concord", mode: "standalone")),
            "problems": "",
        ]
    }

    /// The script's argument: every answer, encoded by this codec.
    static var specification: String {
        let connect = ZooKeeper.ConnectResponse(timeoutMilliseconds: 10_000, sessionID: sessionID, password: password, readOnly: false)
        let replies = exchange.enumerated().map { index, step in
            // xid 0 here; the script puts the request's xid in its place.
            hex(ZooKeeper.Frame.reply(xid: 0, zxid: 0x100 + Int64(index), error: step.error, body: step.response.encodedBody()))
        }
        let words = ["ruok": ZooKeeper.FourLetterWord.ruok.respond(ZooKeeper.ServerStatistics(version: "3.8.4-concord", mode: "standalone"))]
        let object: [String: Any] = [
            "connect": hex(ZooKeeper.Frame.encode(connect.juteEncoded)),
            "ping": hex(ZooKeeper.Frame.reply(xid: ZooKeeper.ReservedXid.ping, zxid: 0x100, error: .ok)),
            "auth": hex(ZooKeeper.Frame.reply(xid: ZooKeeper.ReservedXid.authentication, zxid: 0, error: .ok)),
            "dropAfter": dropAfter,
            "replies": replies,
            "notifyAfter": notifyAfter,
            "notification": hex(ZooKeeper.Frame.notification(notification)),
            "words": words,
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs the script and returns its `key=value` lines. The script's
    /// alarm bounds the wait.
    static func runKazoo() throws -> [String: String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, specification]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        var text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw KazooError(description: "kazoo's script exited \(process.terminationStatus): \(text)\n\(errorText)")
        }
        while text.hasSuffix("\n") { text.removeLast() }
        var lines: [String: String] = [:]
        var key: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let equals = line.firstIndex(of: "="), !line[..<equals].contains(" ") {
                key = String(line[..<equals])
                lines[key!] = String(line[line.index(after: equals)...])
            } else if let key {
                // A value that spans lines (a four-letter word's answer).
                lines[key]! += "\n" + line
            }
        }
        return lines
    }

    struct KazooError: Error, CustomStringConvertible { var description: String }

    /// Lower-case hex, two digits a byte, as Python's `bytes.hex()` writes it.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }

    /// The bytes of hex text; nil if it is not whole bytes of hex digits.
    static func decodeHex(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            result.append(byte)
        }
        return result
    }

    /// One connection's bytes from kazoo: framed whole and one byte at a
    /// time alike, a connect request first, then requests (pings left
    /// out), each of which must encode back to exactly kazoo's frame.
    static func decodeConnection(_ stream: [UInt8]) throws -> (connect: ZooKeeper.ConnectRequest, requests: [(xid: Int32, request: ZooKeeper.Request)]) {
        var whole = ZooKeeper.FrameDecoder(frameBytesMax: ZooKeeper.ServerConfiguration.defaultFrameBytesMax)
        whole.append(stream)
        var frames: [[UInt8]] = []
        while let frame = try whole.next() {
            guard case .message(let body) = frame else { throw KazooError(description: "kazoo sent \(frame)") }
            frames.append(body)
        }
        #expect(whole.bufferedByteCount == 0)
        var piecewise = ZooKeeper.FrameDecoder(frameBytesMax: ZooKeeper.ServerConfiguration.defaultFrameBytesMax)
        var piecewiseFrames: [[UInt8]] = []
        for byte in stream {
            piecewise.append([byte])
            while case .message(let body)? = try piecewise.next() { piecewiseFrames.append(body) }
        }
        #expect(piecewiseFrames == frames)

        guard let connectBody = frames.first else { throw KazooError(description: "no connect request") }
        let connect = try ZooKeeper.ConnectRequest(juteEncoded: connectBody)
        #expect(connect.juteEncoded == connectBody)
        var requests: [(xid: Int32, request: ZooKeeper.Request)] = []
        for frame in frames.dropFirst() {
            var reader = ZooKeeper.JuteReader(frame)
            let header = try ZooKeeper.RequestHeader(jute: &reader)
            let request = try ZooKeeper.Request.decode(type: header.type, body: frame[reader.offset...])
            #expect(ZooKeeper.Frame.request(xid: header.xid, request) == ZooKeeper.Frame.encode(frame), "\(request) re-encoded")
            if request == .ping {
                #expect(header.xid == ZooKeeper.ReservedXid.ping)
                continue
            }
            requests.append((header.xid, request))
        }
        return (connect, requests)
    }

    @Test("kazoo's frames decode to the requests it was asked to send and encode back byte for byte; kazoo reads every answer")
    func kazooSession() throws {
        let results = try Self.runKazoo()

        // kazoo read each answer as the values encoded.
        for (key, expected) in Self.expectedResults {
            #expect(results[key] == expected, "\(key)")
        }

        // kazoo's two connections: the session's first, and the one it
        // reattached on after the break.
        let streams = try #require(results["connection-bytes"]?.split(separator: ",").map { Self.decodeHex(String($0)) }, "\(results)")
        try #require(streams.count == 2, "\(results)")
        let first = try Self.decodeConnection(try #require(streams[0]))
        let second = try Self.decodeConnection(try #require(streams[1]))

        // A new session: no zxid seen, kazoo's timeout, the readOnly byte.
        #expect(first.connect == ZooKeeper.ConnectRequest(
            lastZxidSeen: 0, timeoutMilliseconds: 10_000, sessionID: 0, password: Array(repeating: 0, count: 16), readOnly: false))
        #expect(first.requests.map(\.request) == [Self.authentication] + Self.exchange.prefix(Self.dropAfter + 1).map(\.request))
        #expect(first.requests.first?.xid == ZooKeeper.ReservedXid.authentication)
        let xids = first.requests.dropFirst().map(\.xid)
        #expect(xids == Array(1...Int32(xids.count)), "kazoo numbers its requests from 1")

        // The reattachment: the session and password this side granted, and
        // the zxid of the last reply kazoo read.
        #expect(second.connect == ZooKeeper.ConnectRequest(
            lastZxidSeen: 0x100 + Int64(Self.dropAfter), timeoutMilliseconds: 10_000, sessionID: Self.sessionID, password: Self.password,
            readOnly: false))
        #expect(second.requests.map(\.request) == [Self.authentication, .closeSession])
        #expect(second.requests.map(\.xid) == [ZooKeeper.ReservedXid.authentication, 1])

        // kazoo's four-letter word, on its own connection.
        var word = ZooKeeper.FrameDecoder(frameBytesMax: 100)
        word.append(try #require(Self.decodeHex(results["word-bytes"] ?? "")))
        #expect(try word.next() == .fourLetterWord(.ruok))
    }
}
