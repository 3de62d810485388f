import ConcordTransport
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 server for operators: `GET /metrics` (Prometheus text
/// format) and `GET /health` (etcd's shape: `{"health":"true"}` with 200
/// while the node knows a leader, `{"health":"false"}` with 503 otherwise).
/// Anything else gets 404; a request body is ignored. With an https URL it
/// serves TLS with the client listener's certificate, as etcd does.
final class MetricsHTTPServer: Sendable {
    private let channel: any Channel

    /// The port bound.
    var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Binds and starts serving.
    /// - Throws: `ListenError` when the address cannot be bound.
    static func start(
        host: String, port: Int, tls: ReloadingTLSContext? = nil, group: any EventLoopGroup, metrics: ServerMetrics,
        health: @escaping @Sendable () -> Bool
    ) async throws -> MetricsHTTPServer {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeServerHandler(applicationProtocols: ["http/1.1"])) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(metrics: metrics, health: health))
                }
            }
        do {
            return MetricsHTTPServer(channel: try await bootstrap.bind(host: host, port: port).get())
        } catch {
            let url = "\(tls == nil ? "http" : "https")://\(host):\(port)"
            throw ListenError(purpose: "metrics", url: url, host: host, port: port, error: error)
        }
    }

    /// Stops listening.
    func close() async {
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let metrics: ServerMetrics
        let health: @Sendable () -> Bool
        private var head: HTTPRequestHead?

        init(metrics: ServerMetrics, health: @escaping @Sendable () -> Bool) {
            self.metrics = metrics
            self.health = health
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
            case .body:
                break
            case .end:
                guard let head else { return }
                self.head = nil
                respond(context: context, to: head)
            }
        }

        private func respond(context: ChannelHandlerContext, to head: HTTPRequestHead) {
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            let status: HTTPResponseStatus
            let contentType: String
            let body: [UInt8]
            switch (head.method, path) {
            case (.GET, "/metrics"):
                status = .ok
                contentType = "text/plain; version=0.0.4"
                body = metrics.render()
            case (.GET, "/health"):
                let healthy = health()
                status = healthy ? .ok : .serviceUnavailable
                contentType = "application/json"
                body = Array((healthy ? #"{"health":"true"}"# : #"{"health":"false"}"#).utf8)
            default:
                status = .notFound
                contentType = "text/plain"
                body = Array("not found\n".utf8)
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: "\(body.count)")
            let keepAlive = head.isKeepAlive
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let channel = context.channel
                done.whenComplete { _ in channel.close(promise: nil) }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
