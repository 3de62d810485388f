import Dispatch
import FuzzSupport
import NIOCore
import NIOEmbedded
import NIOHTTP2

@testable import ConcordServer

/// One client connection of the client listener, from the bytes after the
/// HTTP/2 preface: swift-nio-http2 parses the frames and HPACK, and the
/// connection handler checks each call's headers, reads its messages and
/// answers, refuses or hands it on. Whatever a client sends, the
/// connection ends in an error or an answer, never a trap.
enum GRPCConnectionFuzzing: FuzzTarget {
    static let directPath = "/etcdserverpb.KV/Range"
    static let forwardedPath = "/etcdserverpb.Watch/Watch"
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static let configuration = GRPCConnectionHandler.Configuration(
        directMethods: [directPath: DirectUnaryMethod { $0 }], messageBytesMax: 4096,
        connectionWindowBytes: 1 << 20, streamWindowBytes: 64 * 1024)

    static func check(_ bytes: [UInt8]) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await serve(bytes)
            done.signal()
        }
        done.wait()
    }

    static func serve(_ bytes: [UInt8]) async {
        do {
            let channel = try await NIOAsyncTestingChannel { channel in
                try channel.pipeline.syncOperations.addHandler(
                    NIOHTTP2Handler(mode: .server, initialSettings: GRPCConnectionHandler.settings(configuration)))
                try channel.pipeline.syncOperations.addHandler(
                    GRPCConnectionHandler(configuration: configuration, eventLoop: channel.eventLoop) { _ in true })
            }
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2379))
            try? await channel.writeInbound(ByteBuffer(bytes: preface + bytes))
            while (try? await channel.readOutbound(as: ByteBuffer.self)) != nil {}
            try? await channel.close()
        } catch {
            preconditionFailure("cannot set up the channel: \(error)")
        }
    }

    // MARK: Seeds: HTTP/2 frames written by hand (RFC 9113 §4.1, HPACK
    // literals without indexing, RFC 7541 §6.2.2).

    static func frame(type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        var bytes: [UInt8] = [UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        bytes += [type, flags]
        bytes += [UInt8(truncatingIfNeeded: stream >> 24) & 0x7F, UInt8(truncatingIfNeeded: stream >> 16)]
        bytes += [UInt8(truncatingIfNeeded: stream >> 8), UInt8(truncatingIfNeeded: stream)]
        return bytes + payload
    }

    static func headerBlock(_ fields: [(String, String)]) -> [UInt8] {
        var block: [UInt8] = []
        for (name, value) in fields {
            block.append(0x00)
            block.append(UInt8(name.utf8.count))
            block += Array(name.utf8)
            block.append(UInt8(value.utf8.count))
            block += Array(value.utf8)
        }
        return block
    }

    static func requestHeaders(stream: UInt32, path: String, endStream: Bool = false) -> [UInt8] {
        let block = headerBlock([
            (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "127.0.0.1:2379"),
            ("content-type", "application/grpc"), ("te", "trailers"),
        ])
        return frame(type: 1, flags: 0x4 | (endStream ? 0x1 : 0), stream: stream, block)
    }

    static func message(_ bytes: [UInt8]) -> [UInt8] {
        let length = UInt32(bytes.count)
        let prefix: [UInt8] = [
            0, UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
            UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
        ]
        return prefix + bytes
    }

    static func data(stream: UInt32, endStream: Bool, _ payload: [UInt8]) -> [UInt8] {
        frame(type: 0, flags: endStream ? 0x1 : 0, stream: stream, payload)
    }

    static func seeds() throws -> [[UInt8]] {
        let settings = frame(type: 4, flags: 0, stream: 0, [])
        let range = message([0x0A, 0x03, 0x66, 0x6F, 0x6F])
        let unary: [[UInt8]] = [settings, requestHeaders(stream: 1, path: directPath), data(stream: 1, endStream: true, range)]
        let forwardedThenReset: [[UInt8]] = [
            settings, requestHeaders(stream: 1, path: forwardedPath), data(stream: 1, endStream: false, message([0x0A, 0x00])),
            frame(type: 3, flags: 0, stream: 1, [0, 0, 0, 8]),
        ]
        let splitMessageThenUnknownMethod: [[UInt8]] = [
            settings, requestHeaders(stream: 1, path: directPath),
            data(stream: 1, endStream: false, Array(range.prefix(3))), data(stream: 1, endStream: true, Array(range.dropFirst(3))),
            requestHeaders(stream: 3, path: "/unknown.Service/Method", endStream: true),
        ]
        let pingWindowGoAway: [[UInt8]] = [
            settings, frame(type: 6, flags: 0, stream: 0, Array(repeating: 1, count: 8)),
            frame(type: 8, flags: 0, stream: 0, [0, 0, 0x10, 0]), requestHeaders(stream: 1, path: directPath, endStream: true),
            frame(type: 7, flags: 0, stream: 0, [0, 0, 0, 1, 0, 0, 0, 0]),
        ]
        return [unary, forwardedThenReset, splitMessageThenUnknownMethod, pingWindowGoAway].map { $0.flatMap { $0 } }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    GRPCConnectionFuzzing.testOneInput(data, count)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    GRPCConnectionFuzzing.initialize()
}
