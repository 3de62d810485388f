import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The client listener's limits, with real processes: concurrent streams
/// per connection (etcd's `--max-concurrent-streams`), client connections
/// (`--max-client-connections`) and watchers per watch stream
/// (`--max-watchers-per-stream`).
extension ProcessClusterTests {
@Suite struct ClientLimitsProcessTests {
    typealias Frame = RawHTTP2Connection.Frame

    /// RangeRequest{key: "a"}.
    static let rangeA: [UInt8] = [0x0a, 0x01, 0x61]
    static let rangePath = "/etcdserverpb.KV/Range"
    /// HTTP/2's REFUSED_STREAM error code.
    static let refusedStream: UInt32 = 0x7

    /// Sends a Range on `streamID` and reads until its stream ends (or the
    /// connection is reset).
    private static func range(_ connection: RawHTTP2Connection, streamID: UInt32) throws -> [Frame] {
        try connection.sendGRPCHeaders(streamID: streamID, path: rangePath)
        try connection.sendGRPCMessage(streamID: streamID, rangeA)
        return try connection.readFrames { frame in
            (frame.streamID == streamID && frame.flags & 0x1 != 0) || frame.type == Frame.rstStream || frame.type == Frame.goAway
        }
    }

    @Test func aStreamBeyondMaxConcurrentStreamsIsRefusedWithREFUSED_STREAMAndTheConnectionGoesOn() async throws {
        try await ProcessCluster.withRunningCluster(size: 1, extraArguments: ["--max-concurrent-streams", "2"]) { cluster in
            // etcd's client keeps within the advertised limit.
            _ = try await cluster.etcdctlOK(["put", "a", "1"])
            let connection = try RawHTTP2Connection(port: cluster.nodes[0].clientPort)
            try connection.sendPreface()
            let settings = try #require(try connection.readFrames { $0.type == Frame.settings && $0.flags & 0x1 == 0 }.last)
            #expect(settings.settings[0x3] == 2, "SETTINGS_MAX_CONCURRENT_STREAMS in \(settings.settings)")

            try connection.sendGRPCHeaders(streamID: 1, path: Self.rangePath)
            try connection.sendGRPCHeaders(streamID: 3, path: Self.rangePath)
            try connection.sendGRPCHeaders(streamID: 5, path: Self.rangePath)
            let refusal = try #require(
                try connection.readFrames { $0.type == Frame.rstStream || $0.type == Frame.goAway }.last)
            #expect(refusal.type == Frame.rstStream && refusal.streamID == 5 && refusal.errorCode == Self.refusedStream, "\(refusal)")

            // The two open streams are still served; once one ends, a new
            // stream fits.
            try connection.sendGRPCMessage(streamID: 1, Self.rangeA)
            let first = try connection.readFrames { frame in
                (frame.streamID == 1 && frame.flags & 0x1 != 0) || frame.type == Frame.rstStream || frame.type == Frame.goAway
            }
            #expect(first.last?.type == Frame.headers && first.last?.streamID == 1, "\(first)")
            #expect(first.contains { $0.type == Frame.data && $0.streamID == 1 && $0.payload.count > 5 }, "\(first)")
            let later = try Self.range(connection, streamID: 7)
            #expect(later.last?.type == Frame.headers && later.last?.streamID == 7, "\(later)")
            try connection.sendGRPCMessage(streamID: 3, Self.rangeA)
            let third = try connection.readFrames { frame in
                (frame.streamID == 3 && frame.flags & 0x1 != 0) || frame.type == Frame.rstStream || frame.type == Frame.goAway
            }
            #expect(third.last?.type == Frame.headers && third.last?.streamID == 3, "\(third)")
        }
    }

    @Test func aConnectionBeyondMaxClientConnectionsIsClosedAtOnceAndCountedWhileOpenOnesGoOn() async throws {
        try await ProcessCluster.withRunningCluster(size: 1, extraArguments: ["--max-client-connections", "2"]) { cluster in
            let port = cluster.nodes[0].clientPort
            let watch = try WatchProcess(endpoints: cluster.endpoints, ["w"])
            defer { watch.stop() }
            try await waitUntil("the watch to see w=1", seconds: 20) {
                _ = try? await cluster.etcdctl(["put", "w", "1"])
                return watch.output.contains("w\n1\n")
            }
            // The second connection: a raw one, admitted once the server
            // sends its SETTINGS (an etcdctl put that just ended may still
            // hold a place for a moment).
            var held: RawHTTP2Connection?
            try await waitUntil("a second connection to be admitted", seconds: 10) {
                guard let connection = try? RawHTTP2Connection(port: port), (try? connection.sendPreface()) != nil else { return false }
                guard (try? connection.readFrames { $0.type == Frame.settings && $0.flags & 0x1 == 0 }) != nil else { return false }
                held = connection
                return true
            }
            #expect(held != nil)
            let refusedBefore = try await cluster.metric(0, "concord_server_client_connections_refused_total") ?? 0

            let third = try RawHTTP2Connection(port: port)
            try? third.sendPreface()
            let frames = try third.readUntilClosed()
            #expect(frames.isEmpty, "a refused connection gets no frame: \(frames)")
            let refusedAfter = try await cluster.metric(0, "concord_server_client_connections_refused_total") ?? 0
            #expect(refusedAfter >= refusedBefore + 1)
            let refusedPut = try await cluster.etcdctl(["put", "w", "refused"])
            #expect(refusedPut.status != 0, "\(refusedPut)")

            // The open connections go on: the raw one gets answers, and
            // once it closes a new client gets in and the watch sees it.
            let answer = try Self.range(try #require(held), streamID: 1)
            #expect(answer.last?.type == Frame.headers && answer.last?.streamID == 1, "\(answer)")
            held = nil  // the only reference: closes the socket
            try await waitUntil("a put once a place is free", seconds: 10) {
                (try? await cluster.etcdctl(["put", "w", "2"]))?.status == 0
            }
            _ = try await watch.waitForOutput("PUT\nw\n1\nPUT\nw\n2\n", seconds: 10)
            #expect(!watch.output.contains("refused"))
        }
    }

    /// A protobuf length-delimited field.
    private static func field(_ number: UInt8, _ bytes: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        var remaining = bytes.count
        repeat {
            length.append(UInt8(remaining & 0x7f) | (remaining > 0x7f ? 0x80 : 0))
            remaining >>= 7
        } while remaining > 0
        return [number << 3 | 2] + length + bytes
    }

    @Test func aWatcherWhoseClientStopsReadingIsCanceledOnceItLagsBeyondMaxWatchLagRevisions() async throws {
        try await ProcessCluster.withRunningCluster(size: 1, extraArguments: ["--max-watch-lag-revisions", "50"]) { cluster in
            let port = cluster.nodes[0].clientPort
            // A watch on the prefix "s" whose client reads its created
            // response and then nothing: HTTP/2's 64 KiB window closes.
            let watching = try RawHTTP2Connection(port: port, timeoutSeconds: 20)
            try watching.sendPreface()
            _ = try watching.readFrames { $0.type == Frame.settings && $0.flags & 0x1 == 0 }
            try watching.sendGRPCHeaders(streamID: 1, path: "/etcdserverpb.Watch/Watch")
            let create = Self.field(1, Self.field(1, Array("s".utf8)) + Self.field(2, Array("t".utf8)))
            try watching.sendGRPCMessage(streamID: 1, create, endStream: false)
            _ = try watching.readFrames { ($0.type == Frame.data && $0.streamID == 1) || $0.type == Frame.goAway }

            // 3000 puts of 2 KiB under the prefix, 100 at a time: more than
            // the window, the stream's 1 MiB of unwritten responses and the
            // watcher's 1024 queued events together, then 50 revisions more.
            let writing = try RawHTTP2Connection(port: port, timeoutSeconds: 20)
            try writing.sendPreface()
            _ = try writing.readFrames { $0.type == Frame.settings && $0.flags & 0x1 == 0 }
            try writing.sendWindowUpdate(streamID: 0, increment: 0x4000_0000)
            let value = [UInt8](repeating: 0x78, count: 2048)
            var streamID: UInt32 = 1
            for _ in 0..<30 {
                var pending = Set<UInt32>()
                for _ in 0..<100 {
                    try writing.sendGRPCHeaders(streamID: streamID, path: "/etcdserverpb.KV/Put")
                    try writing.sendGRPCMessage(streamID: streamID, Self.field(1, Array("s\(streamID)".utf8)) + Self.field(2, value))
                    pending.insert(streamID)
                    streamID += 2
                }
                let frames = try writing.readFrames { frame in
                    if frame.type == Frame.headers && frame.flags & 0x1 != 0 { pending.remove(frame.streamID) }
                    return pending.isEmpty || frame.type == Frame.rstStream || frame.type == Frame.goAway
                }
                #expect(pending.isEmpty, "\(frames.suffix(3))")
            }
            let count = try await cluster.etcdctlOK(["get", "s", "--prefix", "--keys-only", "--limit", "1", "-w", "json"])
            #expect(count.contains("\"count\":3000"), "\(count)")

            // Reading again: the events queued before the cancel, then the
            // cancel with Concord's reason; the connection is not reset.
            try watching.sendWindowUpdate(streamID: 0, increment: 0x4000_0000)
            try watching.sendWindowUpdate(streamID: 1, increment: 0x4000_0000)
            let reason = "concord: watcher canceled: its consumer fell more than 50 revisions behind; watch again from revision "
            var tail: [UInt8] = []
            var eventBytes = 0
            let frames = try watching.readFrames { frame in
                if frame.type == Frame.data && frame.streamID == 1 {
                    eventBytes += frame.payload.count
                    tail = Array((tail + frame.payload).suffix(8192))
                }
                return String(decoding: tail, as: UTF8.self).contains(reason) || frame.type == Frame.rstStream
                    || frame.type == Frame.goAway
            }
            #expect(String(decoding: tail, as: UTF8.self).contains(reason), "\(frames.suffix(3))")
            #expect(!frames.contains { $0.type == Frame.rstStream || $0.type == Frame.goAway }, "\(frames.suffix(3))")
            // Fewer events than were written reached it before the cancel.
            #expect(eventBytes < 3000 * 2048, "\(eventBytes) bytes of events")
        }
    }

    @Test func aWatchStreamAtMaxWatchersPerStreamAnswersOneMoreCreateCanceledAndKeepsItsWatchers() async throws {
        try await ProcessCluster.withRunningCluster(size: 1, extraArguments: ["--max-watchers-per-stream", "2"]) { cluster in
            let interactive = try InteractiveWatch(endpoints: cluster.endpoints)
            defer { interactive.stop() }
            try interactive.send("watch k1\nwatch k2\nwatch k3\n")
            try await waitUntil("the third watch to be canceled", seconds: 20) {
                interactive.error.contains("concord: too many watchers on this watch stream (at most 2)")
            }
            _ = try await cluster.etcdctlOK(["put", "k3", "x"])
            _ = try await cluster.etcdctlOK(["put", "k1", "y"])
            _ = try await cluster.etcdctlOK(["put", "k2", "z"])
            try await waitUntil("the two watches to see their puts", seconds: 10) {
                interactive.output.contains("k1\ny\n") && interactive.output.contains("k2\nz\n")
            }
            #expect(!interactive.output.contains("k3"), "\(interactive.output)")
            #expect(interactive.error.components(separatedBy: "watch was canceled").count == 2, "\(interactive.error)")
        }
    }
}
}

/// `etcdctl watch -i`: watch commands on standard input, all on one gRPC
/// watch stream; standard output and error collected as they arrive.
final class InteractiveWatch: Sendable {
    private let process: Process
    private let input: FileHandle
    private let collectedOutput = Collected()
    private let collectedError = Collected()

    private final class Collected: Sendable {
        let data = Mutex<Data>(Data())
    }

    init(endpoints: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/etcdctl")
        process.arguments = ["--endpoints=\(endpoints)", "--dial-timeout=3s", "watch", "-i"]
        var environment = ProcessInfo.processInfo.environment
        environment["ETCDCTL_API"] = "3"
        process.environment = environment
        let inputPipe = Pipe(), outputPipe = Pipe(), errorPipe = Pipe()
        process.standardInput = inputPipe
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        self.process = process
        self.input = inputPipe.fileHandleForWriting
        for (pipe, sink) in [(outputPipe, collectedOutput), (errorPipe, collectedError)] {
            pipe.fileHandleForReading.readabilityHandler = { (handle: FileHandle) in
                let chunk = handle.availableData
                if chunk.isEmpty {
                    handle.readabilityHandler = nil
                    return
                }
                sink.data.withLock { $0.append(chunk) }
            }
        }
        try process.run()
    }

    func send(_ text: String) throws { try input.write(contentsOf: Data(text.utf8)) }

    var output: String { collectedOutput.data.withLock { String(decoding: $0, as: UTF8.self) } }
    var error: String { collectedError.data.withLock { String(decoding: $0, as: UTF8.self) } }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
