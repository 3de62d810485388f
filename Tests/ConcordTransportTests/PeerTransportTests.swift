import ConcordTransport
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Collects received frames and lets a test wait for a condition on them.
final class Inbox: Sendable {
    private let frames = Mutex<[(UInt64, [UInt8])]>([])

    func receive(_ sender: UInt64, _ payload: [UInt8]) {
        frames.withLock { $0.append((sender, payload)) }
    }

    var all: [(UInt64, [UInt8])] { frames.withLock { $0 } }

    /// Waits until `condition` holds, or fails after `seconds`.
    func wait(seconds: Double = 10, _ what: String, until condition: ([(UInt64, [UInt8])]) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition(all) {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what); have \(all.count) frames")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

func makeLogger() -> Logger {
    var logger = Logger(label: "concord.transport.test")
    logger.logLevel = .warning
    return logger
}

@Suite struct PeerTransportTests {
    @Test func framesAreDeliveredBothWaysInOrder() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inboxA = Inbox(), inboxB = Inbox()
        let a = PeerTransport(localID: 1, group: group, logger: makeLogger(), receiver: inboxA.receive)
        let b = PeerTransport(localID: 2, group: group, logger: makeLogger(), receiver: inboxB.receive)
        let portA = try await a.listen(host: "127.0.0.1", port: 0)
        let portB = try await b.listen(host: "127.0.0.1", port: 0)
        a.setPeer(2, host: "127.0.0.1", port: portB)
        b.setPeer(1, host: "127.0.0.1", port: portA)
        for i in 0..<500 {
            try a.send(to: 2, [UInt8(i % 256), UInt8(i / 256)])
        }
        try b.send(to: 1, Array("pong".utf8))
        try await inboxB.wait("500 frames at b") { $0.count == 500 }
        try await inboxA.wait("pong at a") { $0.count == 1 }
        #expect(inboxB.all.allSatisfy { $0.0 == 1 })
        #expect(inboxB.all.map { Int($0.1[0]) + Int($0.1[1]) * 256 } == Array(0..<500))
        #expect(inboxA.all.first?.0 == 2)
        #expect(inboxA.all.first?.1 == Array("pong".utf8))
        await a.shutdown()
        await b.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func senderReconnectsAfterThePeerRestarts() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inbox1 = Inbox(), inbox2 = Inbox()
        let a = PeerTransport(localID: 1, group: group, logger: makeLogger(), receiver: { _, _ in })
        let first = PeerTransport(localID: 2, group: group, logger: makeLogger(), receiver: inbox1.receive)
        let port = try await first.listen(host: "127.0.0.1", port: 0)
        a.setPeer(2, host: "127.0.0.1", port: port)
        try a.send(to: 2, [1])
        try await inbox1.wait("first frame") { $0.count == 1 }
        await first.shutdown()

        let second = PeerTransport(localID: 2, group: group, logger: makeLogger(), receiver: inbox2.receive)
        _ = try await second.listen(host: "127.0.0.1", port: port)
        // Frames sent while the connection is down or broken may be lost;
        // keep sending until the new listener hears one.
        let deadline = ContinuousClock.now + .seconds(10)
        while inbox2.all.isEmpty && ContinuousClock.now < deadline {
            try a.send(to: 2, [2])
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(inbox2.all.first?.0 == 1)
        #expect(inbox2.all.first?.1 == [2])
        await a.shutdown()
        await second.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func oversizedFrameClosesOnlyThatConnection() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = Transport.Configuration()
        configuration.frameBytesMax = 1024
        let inbox = Inbox()
        let server = PeerTransport(localID: 2, configuration: configuration, group: group, logger: makeLogger(), receiver: inbox.receive)
        let port = try await server.listen(host: "127.0.0.1", port: 0)

        // A raw client: a valid hello, then a frame claiming 1 MiB.
        let raw = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
        var buffer = raw.allocator.buffer(capacity: 64)
        buffer.writeInteger(UInt32(Transport.Hello.encodedBytes))
        buffer.writeBytes(Transport.Hello(sender: 7).encoded)
        buffer.writeInteger(UInt32(1 << 20))
        buffer.writeBytes([0, 1, 2])
        try await raw.writeAndFlush(buffer)
        try await withDeadline(seconds: 10) { try await raw.closeFuture.get() }

        // The server still serves a well-behaved peer.
        let client = PeerTransport(localID: 3, configuration: configuration, group: group, logger: makeLogger(), receiver: { _, _ in })
        client.setPeer(2, host: "127.0.0.1", port: port)
        try client.send(to: 2, [42])
        try await inbox.wait("frame from the good peer") { $0.contains { $0.0 == 3 && $0.1 == [42] } }
        #expect(!inbox.all.contains { $0.0 == 7 })
        #expect(throws: TransportError.frameTooLarge(bytes: 2048, limit: 1024)) {
            try client.send(to: 2, [UInt8](repeating: 0, count: 2048))
        }
        await client.shutdown()
        await server.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func garbageInsteadOfHelloClosesTheConnection() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inbox = Inbox()
        let server = PeerTransport(localID: 2, group: group, logger: makeLogger(), receiver: inbox.receive)
        let port = try await server.listen(host: "127.0.0.1", port: 0)
        let raw = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
        var buffer = raw.allocator.buffer(capacity: 64)
        buffer.writeInteger(UInt32(5))
        buffer.writeBytes(Array("HELLO".utf8))
        buffer.writeInteger(UInt32(1))
        buffer.writeBytes([9])
        try await raw.writeAndFlush(buffer)
        try await withDeadline(seconds: 10) { try await raw.closeFuture.get() }
        #expect(inbox.all.isEmpty)

        let client = PeerTransport(localID: 3, group: group, logger: makeLogger(), receiver: { _, _ in })
        client.setPeer(2, host: "127.0.0.1", port: port)
        try client.send(to: 2, [1])
        try await inbox.wait("frame from the good peer") { $0.count == 1 }
        await client.shutdown()
        await server.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func fullQueueDropsNewFramesInsteadOfGrowing() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = Transport.Configuration()
        configuration.outboundQueueFramesMax = 8
        configuration.reconnectDelayMinimumMilliseconds = 1000
        let client = PeerTransport(localID: 1, configuration: configuration, group: group, logger: makeLogger(), receiver: { _, _ in })
        // Nobody listens on this port: frames pile up until the queue is full.
        let unused = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = unused.localAddress!.port!
        try await unused.close()
        client.setPeer(2, host: "127.0.0.1", port: port)
        for _ in 0..<20 { try client.send(to: 2, [0]) }
        let deadline = ContinuousClock.now + .seconds(5)
        var dropped = 0
        while dropped < 12 && ContinuousClock.now < deadline {
            dropped = try await client.droppedFrames(to: 2)
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(dropped == 12)
        #expect(throws: TransportError.unknownPeer(9)) { try client.send(to: 9, [0]) }
        await client.shutdown()
        #expect(throws: TransportError.shutDown) { try client.send(to: 2, [0]) }
        try await group.shutdownGracefully()
    }
}

/// Runs `body`, failing the test if it takes longer than `seconds`.
func withDeadline(seconds: Double, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            try await body()
            return true
        }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return false
        }
        let finished = try await group.next()!
        group.cancelAll()
        if !finished { Issue.record("deadline of \(seconds) s passed") }
    }
}
