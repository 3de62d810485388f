import ConcordFoundation
@testable import ConcordZooKeeper
import FuzzSupport

/// A ZooKeeper client's bytes (the jute wire protocol): a control byte for
/// the piece size, one for the frame limit, then the connection's stream.
///
/// Checked:
/// - the frame decoder finds the same frames and the same error whether the
///   stream arrives whole or in pieces;
/// - every frame that decodes (the first as a connect request, the rest as
///   a request header and body, and the same bytes as a reply header and
///   the response to each op code) decodes again from its own encoding to
///   the same value;
/// - a standalone server fed the same pieces, with its proposals committed
///   at once, writes only whole frames (a connect response first, then
///   replies) or a four-letter word's text, and nothing after it closes the
///   connection.
enum ZooKeeperConnectionFuzzing: FuzzTarget {
    static func check(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let pieceBytes = Int(input.byte()) + 1
        let frameBytesMax = input.byte() < 128 ? 256 : ZooKeeper.ServerConfiguration().frameBytesMax
        let stream = input.rest()

        let whole = frames(of: [stream[...]], frameBytesMax: frameBytesMax)
        let pieces = stride(from: 0, to: stream.count, by: pieceBytes).map { stream[$0..<min($0 + pieceBytes, stream.count)] }
        precondition(frames(of: pieces, frameBytesMax: frameBytesMax) == whole, "pieces and the whole stream frame differently")

        for (index, frame) in whole.frames.enumerated() {
            guard case .message(let body) = frame else { continue }
            if index == 0 { checkConnect(body) } else { checkRequest(body) }
            checkReply(body)
        }
        checkServer(pieces, frameBytesMax: frameBytesMax)
    }

    struct Framing: Equatable {
        var frames: [ZooKeeper.Frame] = []
        var error: ZooKeeper.FrameError?
    }

    static func frames(of pieces: [ArraySlice<UInt8>], frameBytesMax: Int) -> Framing {
        var decoder = ZooKeeper.FrameDecoder(frameBytesMax: frameBytesMax)
        var framing = Framing()
        for piece in pieces {
            decoder.append(piece)
            do {
                while let frame = try decoder.next() { framing.frames.append(frame) }
            } catch {
                framing.error = error
                return framing
            }
        }
        return framing
    }

    static func checkConnect(_ body: [UInt8]) {
        guard let request = try? ZooKeeper.ConnectRequest(juteEncoded: body) else { return }
        precondition((try? ZooKeeper.ConnectRequest(juteEncoded: request.juteEncoded)) == request, "a connect request does not round-trip")
    }

    static func checkRequest(_ body: [UInt8]) {
        var reader = ZooKeeper.JuteReader(body)
        guard let header = try? ZooKeeper.RequestHeader(jute: &reader),
            let request = try? ZooKeeper.Request.decode(type: header.type, body: body[reader.offset...])
        else { return }
        precondition(request.opCode.rawValue == header.type, "a request changed its op code")
        precondition(
            (try? ZooKeeper.Request.decode(type: request.opCode.rawValue, body: request.encodedBody()[...])) == request,
            "a request does not round-trip")
    }

    /// The same bytes read as a client reads a reply: a reply header, then
    /// the response to each op code in turn.
    static func checkReply(_ body: [UInt8]) {
        var reader = ZooKeeper.JuteReader(body)
        guard (try? ZooKeeper.ReplyHeader(jute: &reader)) != nil else { return }
        for opCode in ZooKeeper.OpCode.allCases {
            guard let response = try? ZooKeeper.Response.decode(requestType: opCode, body: body[reader.offset...]) else { continue }
            precondition(
                (try? ZooKeeper.Response.decode(requestType: opCode, body: response.encodedBody()[...])) == response,
                "a response does not round-trip")
        }
    }

    static func checkServer(_ pieces: [ArraySlice<UInt8>], frameBytesMax: Int) {
        let configuration = ZooKeeper.ServerConfiguration(frameBytesMax: frameBytesMax)
        var server = ZooKeeper.Server(serverID: 1, configuration: configuration, random: SeededRandom(seed: 7), sha1: standInSHA1)
        server.onBecameLeader(nowMilliseconds: 1_000_000, standalone: true)
        var written: [UInt8] = []
        var closed = false
        var text = false
        var queue: [ZooKeeper.ServerEffect] = []
        for piece in pieces {
            queue += server.onBytes(1, Array(piece))
            while !queue.isEmpty {
                let effect = queue.removeFirst()
                switch effect {
                case .send(let connection, let bytes):
                    precondition(connection == 1 && !closed, "a write to a closed or unknown connection")
                    if written.isEmpty, bytes.count >= 4, bytes.prefix(4).allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { text = true }
                    written += bytes
                case .close(let connection):
                    precondition(connection == 1, "a close of an unknown connection")
                    closed = true
                case .propose(let proposal):
                    queue += server.onCommitted(ZooKeeper.Transaction(proposal, timeMilliseconds: 1_000_000))
                }
            }
            if closed { break }
        }
        guard !text else { return }
        var decoder = ZooKeeper.FrameDecoder(frameBytesMax: Int(Int32.max))
        decoder.append(written)
        var first = true
        while true {
            let frame: ZooKeeper.Frame?
            do { frame = try decoder.next() } catch { preconditionFailure("the server wrote a bad frame length: \(error)") }
            guard let frame else { break }
            guard case .message(let body) = frame else { preconditionFailure("the server wrote a four-letter word") }
            if first {
                precondition((try? ZooKeeper.ConnectResponse(juteEncoded: body)) != nil, "the first frame is not a connect response")
                first = false
            } else {
                var reader = ZooKeeper.JuteReader(body)
                precondition((try? ZooKeeper.ReplyHeader(jute: &reader)) != nil, "a reply without a header")
            }
        }
        precondition(decoder.bufferedByteCount == 0, "the server wrote part of a frame")
    }

    /// Not SHA-1: the fuzz target only needs some 20-byte function of the
    /// credential for digest authentication.
    static let standInSHA1: @Sendable ([UInt8]) -> [UInt8] = { input in
        (0..<20).map { index in input.reduce(UInt8(index)) { $0 &* 31 &+ $1 } }
    }

    static func seeds() throws -> [[UInt8]] {
        func connect(sessionID: Int64 = 0, readOnly: Bool? = false) -> [UInt8] {
            ZooKeeper.Frame.encode(ZooKeeper.ConnectRequest(
                lastZxidSeen: 0, timeoutMilliseconds: 10_000, sessionID: sessionID, password: Array(repeating: 0, count: 16),
                readOnly: readOnly).juteEncoded)
        }
        func requests(_ requests: [ZooKeeper.Request]) -> [UInt8] {
            requests.enumerated().flatMap { index, request in
                let xid: Int32 = switch request {
                case .ping: ZooKeeper.ReservedXid.ping
                case .authenticate: ZooKeeper.ReservedXid.authentication
                case .setWatches: ZooKeeper.ReservedXid.setWatches
                default: Int32(index + 1)
                }
                return ZooKeeper.Frame.request(xid: xid, request)
            }
        }
        let create = ZooKeeper.CreateOperation(path: "/a", data: Array("value".utf8), mode: .persistent)
        let digest = [ZooKeeper.ACL(permissions: .all, identity: ZooKeeper.Identity(scheme: "digest", id: "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="))]
        let stat = ZooKeeper.Stat(
            czxid: 2, mzxid: 3, ctime: 1_000, mtime: 2_000, version: 1, cversion: 0, aversion: 0, ephemeralOwner: 0, dataLength: 5,
            numChildren: 0, pzxid: 2)
        return [
            [255, 255] + connect() + requests([
                .write(.single(.create(create))), .read(.getData(path: "/a", watch: true)),
                .write(.single(.setData(path: "/a", data: Array("new".utf8), version: 0))), .read(.exists(path: "/a", watch: true)),
                .read(.getChildren2(path: "/", watch: true)), .sync(path: "/a"), .ping,
                .write(.single(.delete(path: "/a", version: -1))), .closeSession,
            ]),
            [3, 255] + connect(readOnly: nil) + requests([
                .authenticate(scheme: "digest", credential: Array("alice:secret".utf8)),
                .write(.single(.create(.init(opCode: .create2, path: "/s-", mode: .ephemeralSequential)))),
                .write(.single(.create(.init(opCode: .createContainer, path: "/c", mode: .container)))),
                .write(.single(.create(.init(opCode: .createTTL, path: "/t", mode: .persistentWithTTL, ttlMilliseconds: 5_000)))),
                .write(.setACL(path: "/c", acl: digest, version: -1)), .read(.getACL(path: "/c")),
                .read(.getEphemerals(prefix: "/")), .read(.getAllChildrenNumber(path: "/")),
            ]),
            [0, 200] + connect() + requests([
                .write(.multi([.create(create), .check(path: "/a", version: 0), .setData(path: "/a", data: [], version: -1),
                               .delete(path: "/a", version: -1)])),
                .read(.multiRead([.getData(path: "/"), .getChildren(path: "/")])),
                .addWatch(path: "/", mode: .persistentRecursive), .checkWatches(path: "/", type: .any),
                .removeWatches(path: "/", type: .any),
                .setWatches(.init(relativeZxid: 0, dataWatches: ["/a"], existWatches: ["/b"], childWatches: ["/"])),
                .setWatches(.init(relativeZxid: 0, persistentWatches: ["/p"], persistentRecursiveWatches: ["/r"], isVersion2: true)),
            ]),
            [7, 255] + connect(sessionID: 0x1234),
            [0, 255] + Array("ruok".utf8),
            [1, 255] + Array("mntr".utf8),
            [0, 0] + connect() + ZooKeeper.Frame.encode(Array(repeating: 0x41, count: 300)),
            // The same bytes read as replies, for the response decoders.
            [9, 255] + ZooKeeper.Frame.encode(ZooKeeper.ConnectResponse(
                timeoutMilliseconds: 10_000, sessionID: 9, password: Array(repeating: 1, count: 16)).juteEncoded)
                + ZooKeeper.Frame.reply(xid: 1, zxid: 2, error: .ok, body: ZooKeeper.Response.data(data: [1], stat: stat).encodedBody())
                + ZooKeeper.Frame.reply(xid: 2, zxid: 3, error: .ok, body: ZooKeeper.Response.multi([.create2(path: "/m", stat: stat), .error(.noNode)]).encodedBody())
                + ZooKeeper.Frame.notification(ZooKeeper.WatcherEvent(type: .nodeCreated, path: "/a")),
        ]
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    ZooKeeperConnectionFuzzing.testOneInput(data, count)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    ZooKeeperConnectionFuzzing.initialize()
}
