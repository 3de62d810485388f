import NIOCore

/// Rewrites SETTINGS_MAX_CONCURRENT_STREAMS in the first SETTINGS frame a
/// server connection sends, so that the client is told the real limit
/// while swift-nio-http2's own state machine is given a larger one.
///
/// Why: RFC 9113 §5.1.2 lets a server answer a HEADERS frame beyond its
/// advertised limit with a stream error (etcd's Go server sends RST_STREAM
/// REFUSED_STREAM), but swift-nio-http2 treats it as a connection error
/// and sends GOAWAY, which would end every other call of the connection.
/// So `NIOHTTP2Handler` is configured with a limit it never reaches
/// (``internalValue``) and `GRPCConnectionHandler` refuses streams beyond
/// the advertised one itself.
///
/// It sits between the TLS handler (if any) and `NIOHTTP2Handler`, sees the
/// connection's first bytes (a server's preface is its SETTINGS frame),
/// and removes itself after them.
final class ConcurrentStreamsAdvertiser: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// The limit given to `NIOHTTP2Handler`: HTTP/2's largest.
    static let internalValue = Int(UInt32.max)

    /// SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §6.5.2).
    private static let parameter: UInt16 = 0x3
    /// The SETTINGS frame type (RFC 9113 §6.5).
    private static let settingsType: UInt8 = 0x4
    private static let frameHeaderBytes = 9
    private static let entryBytes = 6

    private let advertised: UInt32

    /// - Parameter advertised: The limit the client is told.
    init(advertised: UInt32) {
        self.advertised = advertised
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .byteBuffer(var buffer) = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        Self.rewrite(&buffer, advertised: advertised)
        context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Rewrites the value of SETTINGS_MAX_CONCURRENT_STREAMS in the SETTINGS
    /// frame at the start of `buffer`; leaves `buffer` as it is when it does
    /// not start with a whole SETTINGS frame carrying it.
    /// - Returns: Whether the value was rewritten.
    @discardableResult
    static func rewrite(_ buffer: inout ByteBuffer, advertised: UInt32) -> Bool {
        let start = buffer.readerIndex
        guard buffer.readableBytes >= frameHeaderBytes,
            let lengthHigh = buffer.getInteger(at: start, as: UInt8.self),
            let lengthLow = buffer.getInteger(at: start + 1, as: UInt16.self),
            buffer.getInteger(at: start + 3, as: UInt8.self) == settingsType,
            buffer.getInteger(at: start + 5, as: UInt32.self) == 0
        else { return false }
        let length = Int(lengthHigh) << 16 | Int(lengthLow)
        guard length % entryBytes == 0, buffer.readableBytes >= frameHeaderBytes + length else { return false }
        var offset = start + frameHeaderBytes
        while offset < start + frameHeaderBytes + length {
            if buffer.getInteger(at: offset, as: UInt16.self) == parameter {
                buffer.setInteger(advertised, at: offset + 2)
                return true
            }
            offset += entryBytes
        }
        return false
    }
}
