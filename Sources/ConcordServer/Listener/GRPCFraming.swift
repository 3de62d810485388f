import NIOCore

/// gRPC's message framing over HTTP/2 DATA frames: each message is a flag
/// byte (1 when compressed), a 4-byte big-endian length, then the message.
/// A message may span DATA frames and a DATA frame may hold several.
struct GRPCMessageDeframer {
    /// Why a stream's bytes cannot be read as messages.
    enum Failure: Error, Equatable {
        /// A message announced more bytes than the limit.
        case tooLarge(length: Int, limit: Int)
        /// A message is marked compressed; Concord announces no compression.
        case compressed
    }

    /// The largest message accepted, in bytes.
    let messageBytesMax: Int
    private var buffer = ByteBuffer()

    init(messageBytesMax: Int) {
        self.messageBytesMax = messageBytesMax
    }

    /// True when bytes of an unfinished message are held.
    var hasPartialMessage: Bool { buffer.readableBytes > 0 }

    /// Adds the bytes of one DATA frame.
    mutating func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        buffer.writeBuffer(&bytes)
    }

    /// The next whole message, or nil until more bytes arrive.
    mutating func next() throws(Failure) -> [UInt8]? {
        guard let flag = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self)
        else { return nil }
        if flag != 0 { throw .compressed }
        guard length <= messageBytesMax else { throw .tooLarge(length: Int(length), limit: messageBytesMax) }
        guard buffer.readableBytes >= 5 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 5)
        let message = buffer.readBytes(length: Int(length))!
        if buffer.readableBytes == 0 { buffer.clear() } else if buffer.readerIndex > 64 * 1024 { buffer.discardReadBytes() }
        return message
    }
}

/// Writing gRPC messages and statuses.
enum GRPCFraming {
    /// One message with its 5-byte prefix (uncompressed).
    static func frame(_ message: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 5 + message.count)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.count))
        buffer.writeBytes(message)
        return buffer
    }

    /// gRPC's encoding of `grpc-message`: bytes outside printable ASCII, and
    /// `%` itself, become `%XX` (upper-case hex) over the UTF-8 bytes.
    static func percentEncode(_ message: String) -> String {
        let utf8 = Array(message.utf8)
        guard utf8.contains(where: { $0 < 0x20 || $0 > 0x7E || $0 == 0x25 }) else { return message }
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count * 3)
        for byte in utf8 {
            if byte < 0x20 || byte > 0x7E || byte == 0x25 {
                out.append(0x25)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Splits `/package.Service/Method` into the service and the method,
    /// or nil when the path has another shape.
    static func splitPath(_ path: String) -> (service: String, method: String)? {
        guard path.hasPrefix("/") else { return nil }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// True for the content types gRPC accepts: `application/grpc`, alone
    /// or followed by `+format` or `;parameters`.
    static func isGRPCContentType(_ value: String) -> Bool {
        guard value.hasPrefix("application/grpc") else { return false }
        let rest = value.dropFirst("application/grpc".count)
        return rest.isEmpty || rest.first == "+" || rest.first == ";"
    }
}
