import GRPCCore
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Synchronization
import Testing

@testable import ConcordServer

/// The client listener's connection handler, driven frame by frame: direct
/// unary calls, calls handed on to `GRPCServer`, refusals, flow control and
/// draining.
@Suite struct GRPCConnectionHandlerTests {
    static let echoPath = "/test.Echo/Reverse"
    static let failPath = "/test.Echo/Fail"
    static let gatedPath = "/test.Echo/Gated"

    /// What a test's direct methods saw, and a gate for the gated one.
    final class Probe: Sendable {
        let requests = Mutex<[[UInt8]]>([])
        let forwarded = Mutex<[ForwardedCall]>([])
        let gatedReturned = Mutex(false)
        let gate = AsyncStream<Void>.makeStream()
        let refuseForwarding: Bool

        init(refuseForwarding: Bool = false) { self.refuseForwarding = refuseForwarding }

        var methods: [String: DirectUnaryMethod] {
            [
                GRPCConnectionHandlerTests.echoPath: DirectUnaryMethod { [self] bytes in
                    requests.withLock { $0.append(bytes) }
                    return bytes.reversed()
                },
                GRPCConnectionHandlerTests.failPath: DirectUnaryMethod { [self] bytes in
                    requests.withLock { $0.append(bytes) }
                    throw RPCError(code: .notFound, message: "key 100% gone\né")
                },
                GRPCConnectionHandlerTests.gatedPath: DirectUnaryMethod { [self] bytes in
                    requests.withLock { $0.append(bytes) }
                    for await _ in gate.stream { break }
                    gatedReturned.withLock { $0 = true }
                    return [7]
                },
            ]
        }
    }

    /// Passes writes on only when released, like a socket that is slow to
    /// take them.
    final class WriteHolder: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = HTTP2Frame
        typealias OutboundOut = HTTP2Frame
        var held: [(NIOAny, EventLoopPromise<Void>?)] = []
        var holding = false

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if holding { held.append((data, promise)) } else { context.write(data, promise: promise) }
        }

        func release(context: ChannelHandlerContext) {
            holding = false
            for (data, promise) in held { context.write(data, promise: promise) }
            held.removeAll()
            context.flush()
        }
    }

    static func configuration(_ probe: Probe, streamWindow: Int = 1 << 20) -> GRPCConnectionHandler.Configuration {
        .init(directMethods: probe.methods, messageBytesMax: 4096, connectionWindowBytes: 1 << 20, streamWindowBytes: streamWindow)
    }

    /// A connected channel with the handler; the connection window update
    /// the handler sends on becoming active is read and checked.
    static func channel(_ probe: Probe, streamWindow: Int = 1 << 20, holder: WriteHolder? = nil) async throws -> NIOAsyncTestingChannel {
        let configuration = configuration(probe, streamWindow: streamWindow)
        let channel = try await NIOAsyncTestingChannel { channel in
            if let holder { try channel.pipeline.syncOperations.addHandler(holder) }
            try channel.pipeline.syncOperations.addHandler(
                GRPCConnectionHandler(configuration: configuration, eventLoop: channel.eventLoop) { call in
                    guard !probe.refuseForwarding else { return false }
                    probe.forwarded.withLock { $0.append(call) }
                    return true
                })
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2379)).get()
        let opening = try await Self.nextFrame(channel)
        #expect(opening.streamID == .rootStream)
        guard case .windowUpdate(let increment) = opening.payload else {
            Issue.record("expected the connection window update, got \(opening.payload)")
            return channel
        }
        #expect(increment == (1 << 20) - 65_535)
        return channel
    }

    /// The next frame the handler writes; fails instead of hanging when
    /// none comes within ten seconds.
    static func nextFrame(_ channel: NIOAsyncTestingChannel) async throws -> HTTP2Frame {
        final class Once: Sendable {
            let continuation: Mutex<CheckedContinuation<HTTP2Frame, any Error>?>
            init(_ continuation: CheckedContinuation<HTTP2Frame, any Error>) { self.continuation = Mutex(continuation) }
            func resume(_ result: Result<HTTP2Frame, any Error>) { continuation.withLock { $0.take() }?.resume(with: result) }
        }
        return try await withCheckedThrowingContinuation { continuation in
            let once = Once(continuation)
            Task {
                do { once.resume(.success(try await channel.waitForOutboundWrite(as: HTTP2Frame.self))) } catch { once.resume(.failure(error)) }
            }
            Task {
                try? await Task.sleep(for: .seconds(10))
                once.resume(.failure(RPCError(code: .deadlineExceeded, message: "no frame written within 10 s")))
            }
        }
    }

    static func requestHeaders(_ path: String, contentType: String = "application/grpc", extra: [(String, String)] = []) -> HTTP2Frame.FramePayload {
        var headers: HPACKHeaders = [
            ":method": "POST", ":scheme": "http", ":path": path, ":authority": "localhost", "content-type": contentType, "te": "trailers",
        ]
        for (name, value) in extra { headers.add(name: name, value: value) }
        return .headers(.init(headers: headers))
    }

    static func data(_ bytes: [UInt8], endStream: Bool = false) -> HTTP2Frame.FramePayload {
        .data(.init(data: .byteBuffer(ByteBuffer(bytes: bytes)), endStream: endStream))
    }

    /// A gRPC message: flag, length, bytes.
    static func message(_ bytes: [UInt8], compressed: Bool = false) -> [UInt8] {
        let length = UInt32(bytes.count)
        return [compressed ? 1 : 0, UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)] + bytes
    }

    static func send(_ channel: NIOAsyncTestingChannel, _ stream: Int, _ payload: HTTP2Frame.FramePayload) async throws {
        try await channel.writeInbound(HTTP2Frame(streamID: HTTP2StreamID(stream), payload: payload))
    }

    static func headers(_ frame: HTTP2Frame) -> (HPACKHeaders, endStream: Bool)? {
        guard case .headers(let headers) = frame.payload else { return nil }
        return (headers.headers, headers.endStream)
    }

    /// Reads frames until one ends stream `stream`; returns that stream's.
    static func answer(_ channel: NIOAsyncTestingChannel, stream: Int) async throws -> [HTTP2Frame] {
        var frames: [HTTP2Frame] = []
        while true {
            let frame = try await Self.nextFrame(channel)
            guard frame.streamID == HTTP2StreamID(stream) else { continue }
            frames.append(frame)
            if let (_, end) = headers(frame), end { return frames }
        }
    }

    // MARK: Direct calls

    @Test func directCallSpreadOverFramesIsAnsweredWithHeadersMessageAndOKTrailers() async throws {
        let probe = Probe()
        let channel = try await Self.channel(probe)
        let message = Self.message([1, 2, 3, 4])
        try await Self.send(channel, 1, Self.requestHeaders(Self.echoPath))
        try await Self.send(channel, 1, Self.data(Array(message[0..<3])))
        try await Self.send(channel, 1, Self.data(Array(message[3...]), endStream: true))
        let frames = try await Self.answer(channel, stream: 1)
        #expect(frames.count == 3)
        let (responseHeaders, headersEnd) = try #require(Self.headers(frames[0]))
        #expect(responseHeaders.first(name: ":status") == "200")
        #expect(responseHeaders.first(name: "content-type") == "application/grpc")
        #expect(!headersEnd)
        guard case .data(let data) = frames[1].payload, case .byteBuffer(let body) = data.data else {
            Issue.record("expected the response message, got \(frames[1].payload)")
            return
        }
        #expect(Array(body.readableBytesView) == Self.message([4, 3, 2, 1]))
        let (trailers, _) = try #require(Self.headers(frames[2]))
        #expect(trailers.first(name: "grpc-status") == "0")
        #expect(probe.requests.withLock { $0 } == [[1, 2, 3, 4]])
    }

    @Test func directCallErrorIsATrailersOnlyStatusWithAPercentEncodedMessage() async throws {
        let probe = Probe()
        let channel = try await Self.channel(probe)
        try await Self.send(channel, 3, Self.requestHeaders(Self.failPath))
        try await Self.send(channel, 3, Self.data(Self.message([9]), endStream: true))
        let frames = try await Self.answer(channel, stream: 3)
        #expect(frames.count == 1)
        let (trailers, _) = try #require(Self.headers(frames[0]))
        #expect(trailers.first(name: ":status") == "200")
        #expect(trailers.first(name: "grpc-status") == "\(Status.Code.notFound.rawValue)")
        #expect(trailers.first(name: "grpc-message") == "key 100%25 gone%0A%C3%A9")
    }

    @Test func unaryCallWithTwoMessagesIsRefusedAndRunsNothing() async throws {
        let probe = Probe()
        let channel = try await Self.channel(probe)
        try await Self.send(channel, 1, Self.requestHeaders(Self.echoPath))
        try await Self.send(channel, 1, Self.data(Self.message([1]) + Self.message([2]), endStream: true))
        let (trailers, _) = try #require(Self.headers(try await Self.answer(channel, stream: 1)[0]))
        #expect(trailers.first(name: "grpc-status") == "\(Status.Code.unimplemented.rawValue)")
        // A unary call with no message at all is refused the same way.
        try await Self.send(channel, 3, Self.requestHeaders(Self.echoPath))
        try await Self.send(channel, 3, Self.data([], endStream: true))
        let (empty, _) = try #require(Self.headers(try await Self.answer(channel, stream: 3)[0]))
        #expect(empty.first(name: "grpc-status") == "\(Status.Code.unimplemented.rawValue)")
        #expect(probe.requests.withLock { $0 }.isEmpty)
    }

    @Test func oversizedAndCompressedMessagesAreRefusedBeforeTheyAreRead() async throws {
        let probe = Probe()
        let channel = try await Self.channel(probe)
        // Only the 5-byte prefix of a 1 MiB message arrives: refused at once.
        try await Self.send(channel, 1, Self.requestHeaders(Self.echoPath))
        try await Self.send(channel, 1, Self.data([0, 0, 0x10, 0, 0]))
        let tooLarge = try await Self.answer(channel, stream: 1)
        let (trailers, _) = try #require(Self.headers(tooLarge[0]))
        #expect(trailers.first(name: "grpc-status") == "\(Status.Code.resourceExhausted.rawValue)")
        let reset = try await Self.nextFrame(channel)
        guard case .rstStream = reset.payload else {
            Issue.record("expected the stream to be reset, got \(reset.payload)")
            return
        }
        try await Self.send(channel, 3, Self.requestHeaders(Self.echoPath))
        try await Self.send(channel, 3, Self.data(Self.message([1], compressed: true), endStream: true))
        let (compressed, _) = try #require(Self.headers(try await Self.answer(channel, stream: 3)[0]))
        #expect(compressed.first(name: "grpc-status") == "\(Status.Code.unimplemented.rawValue)")
        #expect(probe.requests.withLock { $0 }.isEmpty)
    }

    @Test func nonGRPCRequestsAreRefused() async throws {
        let probe = Probe()
        let channel = try await Self.channel(probe)
        try await Self.send(channel, 1, Self.requestHeaders(Self.echoPath, contentType: "application/json"))
        let (refused, _) = try #require(Self.headers(try await Self.answer(channel, stream: 1)[0]))
        #expect(refused.first(name: ":status") == "415")
        try await Self.send(channel, 3, Self.requestHeaders(Self.echoPath, extra: [("grpc-encoding", "gzip")]))
        let (gzip, _) = try #require(Self.headers(try await Self.answer(channel, stream: 3)[0]))
        #expect(gzip.first(name: "grpc-status") == "\(Status.Code.unimplemented.rawValue)")
        try await Self.send(channel, 5, Self.requestHeaders("no-slash"))
        let (malformed, _) = try #require(Self.headers(try await Self.answer(channel, stream: 5)[0]))
        #expect(malformed.first(name: "grpc-status") == "\(Status.Code.unimplemented.rawValue)")
        #expect(probe.requests.withLock { $0 }.isEmpty)
        #expect(probe.forwarded.withLock { $0 }.isEmpty)
    }

    @Test func answerToAStreamTheClientResetIsDropped() async throws {
        let probe = Probe()
        let channel = try await Self.channel(probe)
        try await Self.send(channel, 1, Self.requestHeaders(Self.gatedPath))
        try await Self.send(channel, 1, Self.data(Self.message([5]), endStream: true))
        while probe.requests.withLock({ $0.isEmpty }) { await Task.yield() }
        channel.pipeline.fireUserInboundEventTriggered(StreamClosedEvent(streamID: 1, reason: .cancel))
        probe.gate.continuation.yield()
        while !probe.gatedReturned.withLock({ $0 }) { await Task.yield() }
        // The answer reaches the event loop moments after the method
        // returns; give it many turns to (wrongly) appear.
        for _ in 0..<200 {
            try await channel.testingEventLoop.executeInContext {}
            await Task.yield()
        }
        #expect(try await channel.readOutbound(as: HTTP2Frame.self) == nil)
        // The connection still serves later calls.
        try await Self.send(channel, 3, Self.requestHeaders(Self.echoPath))
        try await Self.send(channel, 3, Self.data(Self.message([6]), endStream: true))
        let frames = try await Self.answer(channel, stream: 3)
        #expect(frames.allSatisfy { $0.streamID == 3 })
    }

    // MARK: Flow control

    @Test func streamWindowIsToppedUpAsRequestBytesAreRead() async throws {
        let probe = Probe()
        let channel = try await Self.channel(probe, streamWindow: 2000)
        try await Self.send(channel, 1, Self.requestHeaders("/test.Other/Stream"))
        try await Self.send(channel, 1, Self.data(Self.message(Array(repeating: 1, count: 600))))
        #expect(try await channel.readOutbound(as: HTTP2Frame.self) == nil)
        // The second message takes the stream past half its window; the
        // update is flushed at the end of the read.
        try await Self.send(channel, 1, Self.data(Self.message(Array(repeating: 2, count: 600))))
        let update = try await Self.nextFrame(channel)
        #expect(update.streamID == 1)
        guard case .windowUpdate(let increment) = update.payload else {
            Issue.record("expected a stream window update, got \(update.payload)")
            return
        }
        #expect(increment == 1210)
    }

    // MARK: Forwarded calls

    @Test func otherMethodsAreHandedOnWithMetadataMessagesAndTheirAnswer() async throws {
        let probe = Probe()
        let channel = try await Self.channel(probe)
        try await Self.send(channel, 1, Self.requestHeaders("/etcdserverpb.Watch/Watch", extra: [("x-token", "abc"), ("trace-bin", "AQID")]))
        try await Self.send(channel, 1, Self.data(Self.message([1]) + Self.message([2, 2])))
        try await Self.send(channel, 1, Self.data([], endStream: true))
        let call = try #require(probe.forwarded.withLock { $0.first })
        #expect(call.context.descriptor == MethodDescriptor(fullyQualifiedService: "etcdserverpb.Watch", method: "Watch"))
        #expect(call.context.remotePeer.hasPrefix("ipv4:") || call.context.remotePeer == "unknown")
        var parts: [RPCRequestPart<[UInt8]>] = []
        for try await part in call.stream.inbound { parts.append(part) }
        #expect(parts.count == 3)
        if case .metadata(let metadata) = parts.first {
            #expect(Array(metadata[stringValues: "x-token"]) == ["abc"])
            #expect(Array(metadata[binaryValues: "trace-bin"]) == [[1, 2, 3]])
            #expect(Array(metadata[stringValues: "te"]).isEmpty)
        } else {
            Issue.record("the first part is not metadata: \(parts)")
        }
        let messages: [[UInt8]] = parts.dropFirst().compactMap { part in
            guard case .message(let bytes) = part else { return nil }
            return bytes
        }
        #expect(messages == [[1], [2, 2]])

        try await call.stream.outbound.write(.message([8]))
        try await call.stream.outbound.write(.status(Status(code: .ok, message: ""), ["x-done": "yes"]))
        let frames = try await Self.answer(channel, stream: 1)
        #expect(frames.count == 3)
        #expect(Self.headers(frames[0])?.0.first(name: ":status") == "200")
        let trailers = try #require(Self.headers(frames[2])?.0)
        #expect(trailers.first(name: "grpc-status") == "0")
        #expect(trailers.first(name: "x-done") == "yes")
        await #expect(throws: RPCError.self) { try await call.stream.outbound.write(.message([9])) }
    }

    @Test func forwardedWritesWaitOnlyWhenTooMuchIsUnwritten() async throws {
        let probe = Probe()
        let holder = WriteHolder()
        let channel = try await Self.channel(probe, holder: holder)
        try await Self.send(channel, 1, Self.requestHeaders("/etcdserverpb.Watch/Watch"))
        let call = try #require(probe.forwarded.withLock { $0.first })
        try await channel.testingEventLoop.executeInContext { holder.holding = true }
        let message = [UInt8](repeating: 1, count: 600_000)
        // Nothing reaches the socket, yet the first write returns at once.
        try await call.stream.outbound.write(.message(message))
        let secondReturned = Mutex(false)
        let second = Task {
            try await call.stream.outbound.write(.message(message))
            secondReturned.withLock { $0 = true }
        }
        // Headers and both messages are queued; the second write, past
        // 1 MiB unwritten, waits for the socket.
        while try await channel.testingEventLoop.submit({ holder.held.count < 3 }).get() { await Task.yield() }
        for _ in 0..<200 {
            try await channel.testingEventLoop.executeInContext {}
            await Task.yield()
        }
        #expect(!secondReturned.withLock { $0 })
        try await channel.testingEventLoop.executeInContext {
            holder.release(context: try channel.pipeline.syncOperations.context(handler: holder))
        }
        try await second.value
        #expect(secondReturned.withLock { $0 })
    }

    @Test func clientResetCancelsAForwardedCall() async throws {
        let probe = Probe()
        let channel = try await Self.channel(probe)
        try await Self.send(channel, 1, Self.requestHeaders("/etcdserverpb.Lease/LeaseKeepAlive"))
        let call = try #require(probe.forwarded.withLock { $0.first })
        #expect(!call.context.cancellation.isCancelled)
        channel.pipeline.fireUserInboundEventTriggered(StreamClosedEvent(streamID: 1, reason: .cancel))
        try await channel.testingEventLoop.executeInContext {}
        #expect(call.context.cancellation.isCancelled)
        await #expect(throws: RPCError.self) {
            for try await _ in call.stream.inbound {}
        }
    }

    @Test func forwardedCallRefusedWhenTheServerTakesNoMoreIsUnavailable() async throws {
        let probe = Probe(refuseForwarding: true)
        let channel = try await Self.channel(probe)
        try await Self.send(channel, 1, Self.requestHeaders("/etcdserverpb.Lease/LeaseGrant"))
        let (trailers, _) = try #require(Self.headers(try await Self.answer(channel, stream: 1)[0]))
        #expect(trailers.first(name: "grpc-status") == "\(Status.Code.unavailable.rawValue)")
    }

    // MARK: Draining

    @Test func drainingConnectionClosesOnlyAfterItsLastAnswerIsWritten() async throws {
        let probe = Probe()
        let holder = WriteHolder()
        let channel = try await Self.channel(probe, holder: holder)
        try await Self.send(channel, 1, Self.requestHeaders(Self.gatedPath))
        try await Self.send(channel, 1, Self.data(Self.message([5]), endStream: true))
        while probe.requests.withLock({ $0.isEmpty }) { await Task.yield() }
        try await channel.testingEventLoop.executeInContext {
            holder.holding = true
            try channel.pipeline.syncOperations.handler(type: GRPCConnectionHandler.self).beginDrain()
        }
        #expect(channel.isActive)
        probe.gate.continuation.yield()
        // The answer is written but not yet taken by the socket.
        while try await channel.testingEventLoop.submit({ holder.held.count < 4 }).get() { await Task.yield() }
        #expect(channel.isActive)
        try await channel.testingEventLoop.executeInContext {
            holder.release(context: try channel.pipeline.syncOperations.context(handler: holder))
        }
        let goAway = try await Self.nextFrame(channel)
        guard case .goAway(let lastStreamID, _, _) = goAway.payload else {
            Issue.record("expected GOAWAY first, got \(goAway.payload)")
            return
        }
        #expect(lastStreamID == 1)
        #expect(try await Self.answer(channel, stream: 1).count == 3)
        try await channel.closeFuture.get()
    }
}

/// gRPC's message framing and header encodings.
@Suite struct GRPCFramingTests {
    @Test func deframerReadsMessagesAcrossAndWithinChunks() throws {
        var deframer = GRPCMessageDeframer(messageBytesMax: 100)
        let stream: [UInt8] = [0, 0, 0, 0, 2, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 9]
        var messages: [[UInt8]] = []
        for chunk in [stream[0..<1], stream[1..<6], stream[6..<12], stream[12...]] {
            deframer.append(ByteBuffer(bytes: chunk))
            while let message = try deframer.next() { messages.append(message) }
        }
        #expect(messages == [[7, 8], [], [9]])
        #expect(!deframer.hasPartialMessage)
        deframer.append(ByteBuffer(bytes: [0, 0, 0]))
        #expect(try deframer.next() == nil)
        #expect(deframer.hasPartialMessage)
    }

    @Test func deframerRefusesOversizedAndCompressedMessages() {
        var large = GRPCMessageDeframer(messageBytesMax: 4)
        large.append(ByteBuffer(bytes: [0, 0, 0, 0, 5]))
        #expect(throws: GRPCMessageDeframer.Failure.tooLarge(length: 5, limit: 4)) { try large.next() }
        var exact = GRPCMessageDeframer(messageBytesMax: 4)
        exact.append(ByteBuffer(bytes: [0, 0, 0, 0, 4, 1, 2, 3, 4]))
        #expect(throws: Never.self) { try exact.next() }
        var compressed = GRPCMessageDeframer(messageBytesMax: 4)
        compressed.append(ByteBuffer(bytes: [1, 0, 0, 0, 1, 1]))
        #expect(throws: GRPCMessageDeframer.Failure.compressed) { try compressed.next() }
    }

    @Test func frameWritesThePrefix() {
        let framed = GRPCFraming.frame([1, 2, 3], allocator: ByteBufferAllocator())
        #expect(Array(framed.readableBytesView) == [0, 0, 0, 0, 3, 1, 2, 3])
    }

    @Test func statusMessagesArePercentEncodedAsGRPCSays() {
        #expect(GRPCFraming.percentEncode("etcdserver: key not found") == "etcdserver: key not found")
        #expect(GRPCFraming.percentEncode("50% done") == "50%25 done")
        #expect(GRPCFraming.percentEncode("tab\there") == "tab%09here")
        #expect(GRPCFraming.percentEncode("naïve") == "na%C3%AFve")
    }

    @Test func pathsAndContentTypes() {
        #expect(GRPCFraming.splitPath("/etcdserverpb.KV/Range")! == ("etcdserverpb.KV", "Range"))
        #expect(GRPCFraming.splitPath("etcdserverpb.KV/Range") == nil)
        #expect(GRPCFraming.splitPath("/etcdserverpb.KV/") == nil)
        #expect(GRPCFraming.splitPath("/a/b/c") == nil)
        #expect(GRPCFraming.isGRPCContentType("application/grpc"))
        #expect(GRPCFraming.isGRPCContentType("application/grpc+proto"))
        #expect(GRPCFraming.isGRPCContentType("application/grpc;charset=utf-8"))
        #expect(!GRPCFraming.isGRPCContentType("application/grpcx"))
        #expect(!GRPCFraming.isGRPCContentType("application/json"))
    }
}
