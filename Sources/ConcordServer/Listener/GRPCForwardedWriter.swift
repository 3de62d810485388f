import GRPCCore
import NIOCore
import NIOHTTP2
import Synchronization

/// The response writer of a forwarded call. A write is queued on the
/// connection's event loop and returns at once while less than
/// `pendingBytesMax` of the stream's writes are waiting to reach the
/// socket; above that it waits, so a client that stops reading slows its own
/// stream's producer and holds at most about that much. A failed write
/// (the stream or connection is gone) fails the next write.
final class ForwardedWriter: ClosableRPCWriterProtocol, Sendable {
    typealias Element = RPCResponsePart<[UInt8]>
    static let pendingBytesMax = 1 << 20

    private struct State {
        var pendingBytes = 0
        var failure: (any Error)?
        var finished = false
        var waiters: [CheckedContinuation<Void, any Error>] = []
    }

    private let handler: NIOLoopBound<GRPCConnectionHandler>
    private let eventLoop: any EventLoop
    private let streamID: HTTP2StreamID
    private let state = Mutex(State())

    init(handler: NIOLoopBound<GRPCConnectionHandler>, eventLoop: any EventLoop, streamID: HTTP2StreamID) {
        self.handler = handler
        self.eventLoop = eventLoop
        self.streamID = streamID
    }

    func write(_ element: Element) async throws {
        let size: Int
        if case .message(let bytes) = element { size = bytes.count + 5 } else { size = 64 }
        let over = try state.withLock { state throws -> Bool in
            if let failure = state.failure { throw failure }
            if state.finished { throw RPCError(code: .cancelled, message: "stream is closed") }
            if case .status = element { state.finished = true }
            state.pendingBytes += size
            return state.pendingBytes > Self.pendingBytesMax
        }
        eventLoop.execute { [handler, streamID] in
            handler.value.send(element, on: streamID).whenComplete { result in self.written(size, result) }
        }
        guard over else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let ready: Result<Void, any Error>? = state.withLock { state in
                if let failure = state.failure { return .failure(failure) }
                if state.pendingBytes <= Self.pendingBytesMax { return .success(()) }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    func write(contentsOf elements: some Sequence<Element>) async throws {
        for element in elements { try await write(element) }
    }

    func finish() async {
        eventLoop.execute { [handler, streamID] in handler.value.finishWithoutStatus(streamID, error: nil) }
    }

    func finish(throwing error: any Error) async {
        eventLoop.execute { [handler, streamID] in handler.value.finishWithoutStatus(streamID, error: error) }
    }

    private func written(_ size: Int, _ result: Result<Void, any Error>) {
        let (waiters, outcome) = state.withLock { state -> ([CheckedContinuation<Void, any Error>], Result<Void, any Error>) in
            state.pendingBytes -= size
            if case .failure(let error) = result, state.failure == nil { state.failure = error }
            guard state.failure != nil || state.pendingBytes <= Self.pendingBytesMax else { return ([], .success(())) }
            defer { state.waiters.removeAll() }
            return (state.waiters, state.failure.map { .failure($0) } ?? .success(()))
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }
}
