import NIOCore

extension Transport {
    /// Splits a byte stream into length-prefixed frames, refusing any frame
    /// whose declared length exceeds the limit before reading its body.
    struct FrameDecoder: ByteToMessageDecoder {
        typealias InboundOut = ByteBuffer

        /// The size of the length prefix, in bytes.
        static let lengthPrefixBytes = 4

        let frameBytesMax: Int

        mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
            guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
            guard Int(length) <= frameBytesMax else {
                throw TransportError.frameTooLarge(bytes: Int(length), limit: frameBytesMax)
            }
            guard buffer.readableBytes >= Self.lengthPrefixBytes + Int(length) else { return .needMoreData }
            buffer.moveReaderIndex(forwardBy: Self.lengthPrefixBytes)
            let frame = buffer.readSlice(length: Int(length))!
            context.fireChannelRead(wrapInboundOut(frame))
            return .continue
        }

        mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
            while try decode(context: context, buffer: &buffer) == .continue {}
            return .needMoreData
        }
    }

    /// Writes `payload` as one frame into `buffer`.
    static func appendFrame(_ payload: [UInt8], to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(payload.count))
        buffer.writeBytes(payload)
    }
}
