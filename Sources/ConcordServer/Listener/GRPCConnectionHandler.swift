import Foundation
import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOSSL
import ConcordTransport

/// A unary method answered on the connection itself: the request message's
/// bytes in, the response message's bytes out. Errors thrown become the
/// call's gRPC status (`RPCError`'s code and message; anything else is
/// `unknown`).
struct DirectUnaryMethod: Sendable {
    let handle: @Sendable ([UInt8]) async throws -> [UInt8]
}

/// A call that goes to `GRPCServer`: its request stream and response writer
/// and its context.
struct ForwardedCall: Sendable {
    let stream: RPCStream<RPCAsyncSequence<RPCRequestPart<[UInt8]>, any Error>, RPCWriter<RPCResponsePart<[UInt8]>>.Closable>
    let context: ServerContext
    /// The common name of the connection's verified client certificate,
    /// when client certificates name users (see
    /// `GRPCConnectionHandler.Configuration.certificateNamesUser`).
    let certificateUser: String?
}

/// One client connection's gRPC calls over HTTP/2 frames, without a child
/// channel or task per stream.
///
/// Methods in `directMethods` (etcd's unary KV calls) are read whole, run
/// in one task, and answered with three frames and one flush. Every other
/// call becomes a `ForwardedCall` that `ConcordServerTransport` hands to
/// `GRPCServer`, whose services then stream through `send(_:on:)`.
///
/// Flow control: the stream window announced in SETTINGS and the
/// connection window opened here are topped up as DATA is read, since
/// every byte read is taken off the wire at once (a message is bounded by
/// `messageBytesMax`).
final class GRPCConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    struct Configuration: Sendable {
        var directMethods: [String: DirectUnaryMethod]
        var messageBytesMax: Int
        var connectionWindowBytes: Int
        var streamWindowBytes: Int
        /// The most streams a client may have open at once (etcd's
        /// `--max-concurrent-streams`); one more is refused with RST_STREAM
        /// REFUSED_STREAM.
        var concurrentStreamsMax: Int = 4096
        /// True with `--client-cert-auth`: the subject common name of the
        /// client's verified certificate is the user of calls that send no
        /// token, as in etcd.
        var certificateNamesUser = false
    }

    private enum Call {
        /// A direct method's request being read.
        case direct(DirectUnaryMethod, GRPCMessageDeframer, message: [UInt8]?)
        /// A direct method's handler is running.
        case directRunning
        /// A call handed to `GRPCServer`.
        case forwarded(Forwarded)
    }

    private struct Forwarded {
        var deframer: GRPCMessageDeframer
        let inbound: AsyncThrowingStream<RPCRequestPart<[UInt8]>, any Error>.Continuation
        let cancellation: ServerContext.RPCCancellationHandle
        var headersSent = false
    }

    private let configuration: Configuration
    private let eventLoop: any EventLoop
    private let forward: @Sendable (ForwardedCall) -> Bool
    private var context: ChannelHandlerContext?
    private var calls: [HTTP2StreamID: Call] = [:]
    /// The `token` metadata of direct calls that sent one.
    private var tokens: [HTTP2StreamID: String] = [:]
    /// The certificate user of direct calls, while the connection has one.
    private var certificateUsers: [HTTP2StreamID: String] = [:]
    private var windowConsumed: [HTTP2StreamID: Int] = [:]
    /// Every stream the client opened that is not closed yet, answered or
    /// not (a stream counts towards the limit until HTTP/2 closes it).
    private var openStreams: Set<HTTP2StreamID> = []
    private var connectionConsumed = 0
    /// Window updates written during this read and not yet flushed.
    private var windowUpdatesPending = false
    private var flushScheduled = false
    private var highestStreamID = HTTP2StreamID.rootStream
    private var draining = false
    /// Frames written since draining began and not yet on the socket: the
    /// connection closes only after the last answer is sent.
    private var writesWhileDraining = 0
    private var localPeer = ""
    private var remotePeer = ""
    /// The client certificate's common name, read at the first call; the
    /// outer optional is nil until then.
    private var certificateUser: String??

    private static let responseHeaders: HPACKHeaders = [":status": "200", "content-type": "application/grpc"]
    private static let okTrailers: HPACKHeaders = ["grpc-status": "0"]
    /// HTTP/2's initial connection window (RFC 9113 §6.9.2).
    private static let initialConnectionWindow = 65_535

    /// - Parameters:
    ///   - forward: Hands a call to `GRPCServer`; false when the server no
    ///     longer takes calls (the call is then refused with `unavailable`).
    init(configuration: Configuration, eventLoop: any EventLoop, forward: @escaping @Sendable (ForwardedCall) -> Bool) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.forward = forward
    }

    /// The settings given to `NIOHTTP2Handler`. The concurrent streams
    /// value is `ConcurrentStreamsAdvertiser.internalValue`, which that
    /// handler replaces on the wire with `concurrentStreamsMax`; this
    /// handler enforces the limit (see `ConcurrentStreamsAdvertiser`).
    static func settings(_ configuration: Configuration) -> HTTP2Settings {
        [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: ConcurrentStreamsAdvertiser.internalValue),
            HTTP2Setting(parameter: .initialWindowSize, value: configuration.streamWindowBytes),
            HTTP2Setting(parameter: .maxHeaderListSize, value: HPACKDecoder.defaultMaxHeaderListSize),
        ]
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        localPeer = Self.describe(context.channel.localAddress)
        remotePeer = Self.describe(context.channel.remoteAddress)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        let increment = configuration.connectionWindowBytes - Self.initialConnectionWindow
        if increment > 0 {
            context.writeAndFlush(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: increment))), promise: nil)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let open = calls
        calls.removeAll()
        openStreams.removeAll()
        tokens.removeAll()
        certificateUsers.removeAll()
        windowConsumed.removeAll()
        for (_, call) in open { Self.abandon(call, reason: "connection closed") }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let closed = event as? StreamClosedEvent {
            // The stream is gone (reset by the client, or closed both ways).
            tokens.removeValue(forKey: closed.streamID)
            openStreams.remove(closed.streamID)
            certificateUsers.removeValue(forKey: closed.streamID)
            if let call = calls.removeValue(forKey: closed.streamID) {
                Self.abandon(call, reason: "stream closed by the client")
            }
            windowConsumed.removeValue(forKey: closed.streamID)
            closeIfDrained()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            if !openStreams.contains(frame.streamID) && frame.streamID > highestStreamID {
                highestStreamID = frame.streamID
                guard openStreams.count < configuration.concurrentStreamsMax else {
                    // RFC 9113 §5.1.2: a stream beyond the advertised limit
                    // is refused; the client may retry it.
                    write(frame.streamID, .rstStream(.refusedStream), flush: true)
                    return
                }
                openStreams.insert(frame.streamID)
                open(frame.streamID, headers.headers, endStream: headers.endStream)
            } else if headers.endStream {
                endOfRequest(frame.streamID)
            }
        case .data(let payload):
            replenishWindows(frame.streamID, payload.data.readableBytes + (payload.paddingBytes.map { $0 + 1 } ?? 0))
            guard case .byteBuffer(let bytes) = payload.data else { return }
            received(bytes, on: frame.streamID)
            if payload.endStream { endOfRequest(frame.streamID) }
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if windowUpdatesPending {
            windowUpdatesPending = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    // MARK: Calls

    private func open(_ streamID: HTTP2StreamID, _ headers: HPACKHeaders, endStream: Bool) {
        guard let path = headers.first(name: ":path"), headers.first(name: ":method") == "POST" else {
            respondStatus(streamID, code: .unimplemented, message: "not a gRPC request")
            return
        }
        guard let contentType = headers.first(name: "content-type"), GRPCFraming.isGRPCContentType(contentType) else {
            // gRPC's answer to a non-gRPC content type is HTTP 415.
            write(streamID, .headers(.init(headers: [":status": "415"], endStream: true)), flush: true)
            return
        }
        if let encoding = headers.first(name: "grpc-encoding"), encoding != "identity" {
            respondStatus(streamID, code: .unimplemented, message: "compression \(encoding) is not supported")
            return
        }
        let certificateUser = connectionCertificateUser()
        if let direct = configuration.directMethods[path] {
            if let token = headers.first(name: "token") { tokens[streamID] = token }
            if let certificateUser { certificateUsers[streamID] = certificateUser }
            calls[streamID] = .direct(direct, GRPCMessageDeframer(messageBytesMax: configuration.messageBytesMax), message: nil)
            if endStream { endOfRequest(streamID) }
            return
        }
        guard let (service, method) = GRPCFraming.splitPath(path) else {
            respondStatus(streamID, code: .unimplemented, message: "malformed method path \(path)")
            return
        }
        let (inbound, continuation) = AsyncThrowingStream<RPCRequestPart<[UInt8]>, any Error>.makeStream()
        let cancellation = ServerContext.RPCCancellationHandle()
        let descriptor = MethodDescriptor(service: ServiceDescriptor(fullyQualifiedService: service), method: method)
        let writer = ForwardedWriter(
            handler: NIOLoopBound(self, eventLoop: eventLoop), eventLoop: eventLoop, streamID: streamID)
        let call = ForwardedCall(
            stream: RPCStream(
                descriptor: descriptor, inbound: RPCAsyncSequence(wrapping: inbound),
                outbound: RPCWriter.Closable(wrapping: writer)),
            context: ServerContext(descriptor: descriptor, remotePeer: remotePeer, localPeer: localPeer, cancellation: cancellation),
            certificateUser: certificateUser)
        continuation.yield(.metadata(Self.metadata(headers)))
        calls[streamID] = .forwarded(Forwarded(
            deframer: GRPCMessageDeframer(messageBytesMax: configuration.messageBytesMax),
            inbound: continuation, cancellation: cancellation))
        guard forward(call) else {
            calls.removeValue(forKey: streamID)
            continuation.finish()
            respondStatus(streamID, code: .unavailable, message: "server is shutting down")
            return
        }
        if endStream { endOfRequest(streamID) }
    }

    private func received(_ bytes: ByteBuffer, on streamID: HTTP2StreamID) {
        switch calls[streamID] {
        case .direct(let method, var deframer, let message):
            deframer.append(bytes)
            do {
                guard let next = try deframer.next() else {
                    calls[streamID] = .direct(method, deframer, message: message)
                    return
                }
                guard message == nil, !deframer.hasPartialMessage else {
                    fail(streamID, code: .unimplemented, message: "a unary call takes exactly one request message")
                    return
                }
                calls[streamID] = .direct(method, deframer, message: next)
            } catch {
                fail(streamID, error)
            }
        case .forwarded(var call):
            call.deframer.append(bytes)
            do {
                while let message = try call.deframer.next() {
                    call.inbound.yield(.message(message))
                }
                calls[streamID] = .forwarded(call)
            } catch {
                fail(streamID, error)
            }
        case .directRunning, nil:
            break
        }
    }

    private func endOfRequest(_ streamID: HTTP2StreamID) {
        switch calls[streamID] {
        case .direct(let method, let deframer, let message):
            guard let message, !deframer.hasPartialMessage else {
                fail(streamID, code: .unimplemented, message: "a unary call takes exactly one request message", reset: false)
                return
            }
            calls[streamID] = .directRunning
            run(method, message, on: streamID)
        case .forwarded(let call):
            if call.deframer.hasPartialMessage {
                fail(streamID, code: .internalError, message: "request ended inside a message", reset: false)
            } else {
                call.inbound.finish()
            }
        case .directRunning, nil:
            break
        }
    }

    private func run(_ method: DirectUnaryMethod, _ message: [UInt8], on streamID: HTTP2StreamID) {
        guard let context else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let promise = context.eventLoop.makePromise(of: [UInt8].self)
        let token = tokens.removeValue(forKey: streamID)
        let certificateUser = certificateUsers.removeValue(forKey: streamID)
        promise.completeWithTask {
            try await RequestCredentials.$certificateUser.withValue(certificateUser) {
                try await RequestCredentials.$token.withValue(token) { try await method.handle(message) }
            }
        }
        promise.futureResult.whenComplete { result in
            handler.value.finishDirect(streamID, result)
        }
    }

    private func finishDirect(_ streamID: HTTP2StreamID, _ result: Result<[UInt8], any Error>) {
        guard case .directRunning = calls.removeValue(forKey: streamID), let context else { return }
        switch result {
        case .success(let response):
            write(streamID, .headers(.init(headers: Self.responseHeaders)), flush: false)
            write(streamID, .data(.init(data: .byteBuffer(GRPCFraming.frame(response, allocator: context.channel.allocator)))), flush: false)
            write(streamID, .headers(.init(headers: Self.okTrailers, endStream: true)), flush: false)
            scheduleFlush()
        case .failure(let error):
            let status = Self.status(error)
            respondStatus(streamID, code: status.code, message: status.message)
        }
        closeIfDrained()
    }

    /// Ends a call the server can no longer serve: the client gets the
    /// status, the forwarded handler sees its request stream fail.
    private func fail(_ streamID: HTTP2StreamID, _ error: any Error) {
        switch error {
        case GRPCMessageDeframer.Failure.tooLarge(let length, let limit):
            fail(streamID, code: .resourceExhausted, message: "message of \(length) bytes is larger than the limit of \(limit) bytes")
        case GRPCMessageDeframer.Failure.compressed:
            fail(streamID, code: .unimplemented, message: "compressed messages are not supported")
        default:
            fail(streamID, code: .internalError, message: "\(error)")
        }
    }

    /// `reset` also tells a client that is still sending to stop.
    private func fail(_ streamID: HTTP2StreamID, code: Status.Code, message: String, reset: Bool = true) {
        if let call = calls.removeValue(forKey: streamID) { Self.abandon(call, reason: message) }
        respondStatus(streamID, code: code, message: message)
        if reset { write(streamID, .rstStream(.noError), flush: true) }
        closeIfDrained()
    }

    private static func abandon(_ call: Call, reason: String) {
        guard case .forwarded(let forwarded) = call else { return }
        forwarded.cancellation.cancel()
        forwarded.inbound.finish(throwing: RPCError(code: .cancelled, message: reason))
    }

    // MARK: Responses of forwarded calls

    /// Writes one response part of a forwarded call; the future completes
    /// once the frame is written (or fails if the stream is gone).
    func send(_ part: RPCResponsePart<[UInt8]>, on streamID: HTTP2StreamID) -> EventLoopFuture<Void> {
        guard let context, case .forwarded(var call) = calls[streamID] else {
            return eventLoop.makeFailedFuture(RPCError(code: .cancelled, message: "stream is closed"))
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        switch part {
        case .metadata(let metadata):
            var headers = Self.responseHeaders
            Self.add(metadata, to: &headers)
            call.headersSent = true
            calls[streamID] = .forwarded(call)
            write(streamID, .headers(.init(headers: headers)), flush: false, promise: promise)
        case .message(let message):
            if !call.headersSent {
                call.headersSent = true
                calls[streamID] = .forwarded(call)
                write(streamID, .headers(.init(headers: Self.responseHeaders)), flush: false)
            }
            write(streamID, .data(.init(data: .byteBuffer(GRPCFraming.frame(message, allocator: context.channel.allocator)))), flush: false, promise: promise)
        case .status(let status, let metadata):
            var trailers = call.headersSent ? HPACKHeaders() : Self.responseHeaders
            Self.addStatus(code: status.code, message: status.message, to: &trailers)
            Self.add(metadata, to: &trailers)
            calls.removeValue(forKey: streamID)
            call.inbound.finish()
            write(streamID, .headers(.init(headers: trailers, endStream: true)), flush: false, promise: promise)
            closeIfDrained()
        }
        scheduleFlush()
        return promise.futureResult
    }

    /// Ends a forwarded call whose handler finished without a status.
    func finishWithoutStatus(_ streamID: HTTP2StreamID, error: (any Error)?) {
        guard calls[streamID] != nil else { return }
        let status = error.map(Self.status) ?? (.ok, "")
        _ = send(.status(Status(code: status.code, message: status.message), [:]), on: streamID)
    }

    /// Flushes once the event loop has run the tasks queued so far: the
    /// answers of calls that finish together (one Raft commit, one
    /// ReadIndex round) leave in one write instead of one each.
    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        eventLoop.execute {
            handler.value.flushScheduled = false
            handler.value.context?.flush()
        }
    }

    // MARK: Draining

    /// Stops taking new streams (GOAWAY) and closes the connection once its
    /// calls are answered.
    func beginDrain() {
        guard !draining, let context else { return }
        draining = true
        context.writeAndFlush(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: highestStreamID, errorCode: .noError, opaqueData: nil))), promise: nil)
        closeIfDrained()
    }

    /// Closes the connection now; calls still open are abandoned.
    func closeNow() {
        context?.close(promise: nil)
    }

    private func closeIfDrained() {
        guard draining, calls.isEmpty, writesWhileDraining == 0, let context else { return }
        context.close(promise: nil)
    }

    // MARK: Frames

    private func respondStatus(_ streamID: HTTP2StreamID, code: Status.Code, message: String) {
        var trailers = Self.responseHeaders
        Self.addStatus(code: code, message: message, to: &trailers)
        write(streamID, .headers(.init(headers: trailers, endStream: true)), flush: true)
    }

    private func write(_ streamID: HTTP2StreamID, _ payload: HTTP2Frame.FramePayload, flush: Bool, promise: EventLoopPromise<Void>? = nil) {
        guard let context else {
            promise?.fail(RPCError(code: .cancelled, message: "connection is closed"))
            return
        }
        var promise = promise
        if draining {
            let tracked = promise ?? context.eventLoop.makePromise()
            writesWhileDraining += 1
            let handler = NIOLoopBound(self, eventLoop: eventLoop)
            tracked.futureResult.whenComplete { _ in
                handler.value.writesWhileDraining -= 1
                handler.value.closeIfDrained()
            }
            promise = tracked
        }
        context.write(wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: payload)), promise: promise)
        if flush { context.flush() }
    }

    private func replenishWindows(_ streamID: HTTP2StreamID, _ length: Int) {
        guard length > 0, let context else { return }
        connectionConsumed += length
        if connectionConsumed >= configuration.connectionWindowBytes / 2 {
            context.write(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: connectionConsumed))), promise: nil)
            connectionConsumed = 0
            windowUpdatesPending = true
        }
        guard calls[streamID] != nil else { return }
        let consumed = windowConsumed[streamID, default: 0] + length
        if consumed >= configuration.streamWindowBytes / 2 {
            context.write(wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .windowUpdate(windowSizeIncrement: consumed))), promise: nil)
            windowConsumed[streamID] = 0
            windowUpdatesPending = true
        } else {
            windowConsumed[streamID] = consumed
        }
    }

    // MARK: Headers

    private static func addStatus(code: Status.Code, message: String, to headers: inout HPACKHeaders) {
        headers.add(name: "grpc-status", value: String(code.rawValue))
        if !message.isEmpty { headers.add(name: "grpc-message", value: GRPCFraming.percentEncode(message)) }
    }

    private static func status(_ error: any Error) -> (code: Status.Code, message: String) {
        if let rpc = error as? RPCError {
            return (Status.Code(rawValue: rpc.code.rawValue) ?? .unknown, rpc.message)
        }
        return (.unknown, "\(error)")
    }

    /// Request headers as gRPC metadata: pseudo-headers and transport
    /// headers left out, `-bin` values base64-decoded.
    static func metadata(_ headers: HPACKHeaders) -> Metadata {
        var metadata = Metadata()
        for (name, value, _) in headers {
            if name.hasPrefix(":") || name == "content-type" || name == "te" || name == "grpc-encoding" || name == "grpc-accept-encoding" { continue }
            if name.hasSuffix("-bin") {
                if let bytes = Data(base64Encoded: Self.padded(value)) { metadata.addBinary(Array(bytes), forKey: name) }
            } else {
                metadata.addString(value, forKey: name)
            }
        }
        return metadata
    }

    /// The common name of the client's verified certificate, read once per
    /// connection: nil unless `certificateNamesUser`, without TLS, without
    /// a client certificate, or when its subject names no single user
    /// (then calls without a token are refused as anonymous ones are).
    /// The handshake is over by the first call: HTTP/2 frames follow it.
    private func connectionCertificateUser() -> String? {
        if let certificateUser { return certificateUser }
        var found: String?
        if configuration.certificateNamesUser, let context,
            let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
            let certificate = tls.peerCertificate
        {
            found = try? CertificateSubject.commonName(of: certificate)
        }
        certificateUser = .some(found)
        return found
    }

    private static func padded(_ base64: String) -> String {
        let remainder = base64.utf8.count % 4
        return remainder == 0 ? base64 : base64 + String(repeating: "=", count: 4 - remainder)
    }

    private static func add(_ metadata: Metadata, to headers: inout HPACKHeaders) {
        for (key, value) in metadata {
            switch value {
            case .string(let string): headers.add(name: key, value: string)
            case .binary(let bytes): headers.add(name: key, value: Data(bytes).base64EncodedString())
            }
        }
    }

    private static func describe(_ address: SocketAddress?) -> String {
        switch address {
        case .v4(let v4)?: "ipv4:\(v4.host):\(address?.port ?? 0)"
        case .v6(let v6)?: "ipv6:[\(v6.host)]:\(address?.port ?? 0)"
        case .unixDomainSocket?: "unix:\(address?.pathname ?? "")"
        case nil: "unknown"
        }
    }
}
