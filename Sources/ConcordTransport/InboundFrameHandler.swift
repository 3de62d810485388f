import Logging
import NIOCore

extension Transport {
    /// The receiving end of a connection: expects a hello, then hands every
    /// frame to the transport's receiver. Any error (a bad hello, a frame
    /// over the limit) is logged and closes this connection only.
    final class InboundFrameHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        private let receiver: @Sendable (UInt64, [UInt8]) -> Void
        private let logger: Logger
        private var sender: UInt64?
        private var failed = false

        init(logger: Logger, receiver: @escaping @Sendable (UInt64, [UInt8]) -> Void) {
            self.logger = logger
            self.receiver = receiver
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !failed else { return }
            var frame = unwrapInboundIn(data)
            let bytes = frame.readBytes(length: frame.readableBytes) ?? []
            guard let sender else {
                do {
                    self.sender = try Hello(decoding: bytes).sender
                } catch {
                    fail(context: context, error)
                }
                return
            }
            receiver(sender, bytes)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            fail(context: context, error)
        }

        private func fail(context: ChannelHandlerContext, _ error: any Error) {
            guard !failed else { return }
            failed = true
            logger.error(
                "closing inbound peer connection",
                metadata: [
                    "remote": "\(context.remoteAddress.map { "\($0)" } ?? "?")",
                    "peer": "\(sender.map(String.init) ?? "unidentified")",
                    "error": "\(error)",
                ])
            context.close(promise: nil)
        }
    }
}
