import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plaintext HTTP/2 client written frame by frame over a blocking socket,
/// for tests that must do what well-behaved clients never do (open more
/// streams than the server allows) and see exactly which frames come back.
final class RawHTTP2Connection {
    /// One frame (RFC 9113 §4.1).
    struct Frame: CustomStringConvertible {
        var type: UInt8
        var flags: UInt8
        var streamID: UInt32
        var payload: [UInt8]

        static let data: UInt8 = 0x0, headers: UInt8 = 0x1, rstStream: UInt8 = 0x3, settings: UInt8 = 0x4, goAway: UInt8 = 0x7

        /// The 32-bit error code of RST_STREAM (and of GOAWAY, after the last stream ID).
        var errorCode: UInt32? {
            let offset = type == Self.rstStream ? 0 : type == Self.goAway ? 4 : -1
            guard offset >= 0, payload.count >= offset + 4 else { return nil }
            return payload[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }

        /// The SETTINGS parameters of a SETTINGS frame.
        var settings: [UInt16: UInt32] {
            guard type == Self.settings else { return [:] }
            var result: [UInt16: UInt32] = [:]
            var offset = 0
            while offset + 6 <= payload.count {
                let identifier = UInt16(payload[offset]) << 8 | UInt16(payload[offset + 1])
                result[identifier] = payload[offset + 2..<offset + 6].reduce(0) { $0 << 8 | UInt32($1) }
                offset += 6
            }
            return result
        }

        var description: String { "frame(type \(type), flags \(flags), stream \(streamID), \(payload.count) bytes)" }
    }

    private let descriptor: Int32
    private var received: [UInt8] = []

    /// Connects to 127.0.0.1:`port`; reads time out after `timeoutSeconds`.
    init(port: Int, timeoutSeconds: Int = 5) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError(description: "socket() failed") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw HarnessError(description: "connect() to port \(port) failed")
        }
    }

    deinit { close(descriptor) }

    /// Sends the client preface and an empty SETTINGS frame.
    func sendPreface() throws {
        try send(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8))
        try send(frame: Frame(type: Frame.settings, flags: 0, streamID: 0, payload: []))
    }

    /// Sends one frame.
    func send(frame: Frame) throws {
        let length = frame.payload.count
        var bytes: [UInt8] = [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), frame.type, frame.flags]
        bytes += withUnsafeBytes(of: frame.streamID.bigEndian, Array.init)
        try send(bytes + frame.payload)
    }

    /// Sends HEADERS opening a gRPC call to `path` on `streamID`
    /// (END_HEADERS; END_STREAM when `endStream`).
    func sendGRPCHeaders(streamID: UInt32, path: String, endStream: Bool = false) throws {
        let fields = [
            (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "127.0.0.1"),
            ("content-type", "application/grpc"), ("te", "trailers"),
        ]
        var block: [UInt8] = []
        for (name, value) in fields {
            // Literal header field without indexing, new name (RFC 7541 §6.2.2).
            block += [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        try send(frame: Frame(type: Frame.headers, flags: 0x4 | (endStream ? 0x1 : 0), streamID: streamID, payload: block))
    }

    /// Sends one gRPC message (uncompressed) as a DATA frame, by default
    /// ending the stream.
    func sendGRPCMessage(streamID: UInt32, _ message: [UInt8], endStream: Bool = true) throws {
        let length = UInt32(message.count)
        let prefix: [UInt8] = [0] + withUnsafeBytes(of: length.bigEndian, Array.init)
        try send(frame: Frame(type: Frame.data, flags: endStream ? 0x1 : 0, streamID: streamID, payload: prefix + message))
    }

    /// Opens the flow-control window of `streamID` (0: the connection) by `increment`.
    func sendWindowUpdate(streamID: UInt32, increment: UInt32) throws {
        try send(frame: Frame(type: 0x8, flags: 0, streamID: streamID, payload: withUnsafeBytes(of: increment.bigEndian, Array.init)))
    }

    /// Reads the next frame; nil when the server closed the connection.
    /// - Throws: when nothing arrives within the read timeout.
    func readFrame() throws -> Frame? {
        while true {
            if received.count >= 9 {
                let length = Int(received[0]) << 16 | Int(received[1]) << 8 | Int(received[2])
                if received.count >= 9 + length {
                    let streamID = received[5..<9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7fff_ffff
                    let frame = Frame(type: received[3], flags: received[4], streamID: streamID, payload: Array(received[9..<9 + length]))
                    received.removeFirst(9 + length)
                    return frame
                }
            }
            var buffer = [UInt8](repeating: 0, count: 16_384)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            // A close with our bytes unread arrives as a reset.
            if count == 0 || (count < 0 && errno == ECONNRESET) { return nil }
            guard count > 0 else { throw HarnessError(description: "no frame from the server within the read timeout (errno \(errno))") }
            received += buffer[0..<count]
        }
    }

    /// Reads frames until one satisfies `match`, answering the server's
    /// SETTINGS with an ACK on the way.
    /// - Returns: the frames read, the matching one last.
    func readFrames(until match: (Frame) -> Bool) throws -> [Frame] {
        var frames: [Frame] = []
        while true {
            guard let frame = try readFrame() else {
                throw HarnessError(description: "the server closed the connection; frames: \(frames)")
            }
            frames.append(frame)
            if frame.type == Frame.settings && frame.flags & 0x1 == 0 {
                try send(frame: Frame(type: Frame.settings, flags: 0x1, streamID: 0, payload: []))
            }
            if match(frame) { return frames }
        }
    }

    /// Whether the server closes the connection (before `timeoutSeconds`
    /// of the read timeout), having sent nothing or only what it sent.
    func readUntilClosed() throws -> [Frame] {
        var frames: [Frame] = []
        while let frame = try readFrame() { frames.append(frame) }
        return frames
    }

    private func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw HarnessError(description: "send() failed (errno \(errno))") }
    }
}
