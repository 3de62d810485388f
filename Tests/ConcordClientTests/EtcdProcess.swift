import ConcordClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real etcd 3.4 member on loopback ports with its own temporary data
/// directory, started for one test and killed at its end.
final class EtcdProcess: @unchecked Sendable {
    /// How long a member may take to answer after starting.
    static let startDeadline: Duration = .seconds(20)

    let name: String
    let clientPort: Int
    let peerPort: Int
    let dataDirectory: URL
    let initialCluster: String
    private var process: Process?
    private let ownsDirectory: Bool

    var endpoint: String { "127.0.0.1:\(clientPort)" }
    var peerURL: String { "http://127.0.0.1:\(peerPort)" }

    /// A member; `initialCluster` defaults to a cluster of this member alone.
    init(name: String = "node", clientPort: Int? = nil, peerPort: Int? = nil, dataDirectory: URL? = nil,
         initialCluster: String? = nil) throws {
        self.name = name
        self.clientPort = try clientPort ?? Self.freePort()
        self.peerPort = try peerPort ?? Self.freePort()
        if let dataDirectory {
            self.dataDirectory = dataDirectory
            ownsDirectory = false
        } else {
            self.dataDirectory = FileManager.default.temporaryDirectory
                .appendingPathComponent("concord-client-etcd-\(UUID().uuidString)")
            ownsDirectory = true
        }
        self.initialCluster = initialCluster ?? "\(name)=http://127.0.0.1:\(self.peerPort)"
    }

    /// Starts the etcd process (again, after ``kill()``, on the same data directory).
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/etcd")
        process.arguments = [
            "--name", name, "--data-dir", dataDirectory.path,
            "--listen-client-urls", "http://127.0.0.1:\(clientPort)",
            "--advertise-client-urls", "http://127.0.0.1:\(clientPort)",
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", initialCluster, "--initial-cluster-state", "new",
            "--initial-cluster-token", "concord-client-tests",
            "--heartbeat-interval", "50", "--election-timeout", "500",
            "--log-level", "error",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    /// Kills the process with SIGKILL and waits for it to exit.
    func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Kills the process and removes the data directory it created.
    func stop() {
        kill()
        if ownsDirectory { try? FileManager.default.removeItem(at: dataDirectory) }
    }

    /// Waits until a linearizable read succeeds through `client`.
    static func waitReady(_ client: ConcordClient, deadline: Duration = startDeadline) async throws {
        try await eventually(deadline: deadline, "etcd did not answer") {
            _ = try await client.get("ready-probe")
            return true
        }
    }

    /// A TCP port that was free a moment ago.
    static func freePort() throws -> Int {
        // Bound and released at once: free now, though another process may take it later.
        try DeadPort().port
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    let description: String
}

/// Retries `condition` until it returns true, failing after `deadline`.
/// Errors count as "not yet".
func eventually(deadline: Duration, _ what: String, _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let end = clock.now + deadline
    var lastError: (any Error)?
    while clock.now < end {
        do {
            if try await condition() { return }
        } catch {
            lastError = error
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw DeadlineExceeded(description: "\(what) within \(deadline)\(lastError.map { ": \($0)" } ?? "")")
}

/// Runs `body` with a fresh single-member etcd and a client of it; kills the
/// member afterwards, also when `body` throws.
func withEtcd<T>(_ body: (EtcdProcess, ConcordClient) async throws -> T) async throws -> T {
    try await EtcdSlots.shared.acquire()
    defer { Task { await EtcdSlots.shared.release() } }
    let etcd = try EtcdProcess()
    try etcd.start()
    defer { etcd.stop() }
    let client = try ConcordClient(endpoints: [etcd.endpoint])
    defer { client.close() }
    try await EtcdProcess.waitReady(client)
    return try await body(etcd, client)
}

/// The first `count` elements of a stream, failing after `deadline`.
func collect<S: AsyncSequence & Sendable>(_ stream: S, count: Int, within deadline: Duration = .seconds(15)) async throws -> [S.Element]
where S.Element: Sendable {
    try await withThrowingTaskGroup(of: [S.Element].self) { group in
        group.addTask {
            var elements: [S.Element] = []
            for try await element in stream {
                elements.append(element)
                if elements.count == count { break }
            }
            return elements
        }
        group.addTask {
            try await Task.sleep(for: deadline)
            throw DeadlineExceeded(description: "fewer than \(count) elements within \(deadline)")
        }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
}

/// Bounds how many etcd processes the tests run at once (Swift Testing runs
/// tests in parallel), so a loaded machine still starts each within its deadline.
actor EtcdSlots {
    static let shared = EtcdSlots()
    /// Tests holding an etcd at once.
    static let concurrentMax = 4

    private var inUse = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async throws {
        if inUse < Self.concurrentMax {
            inUse += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            inUse -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// Reads one stream through a single iterator across several calls (an
/// `AsyncThrowingStream` ends when an iterator of it is dropped, so a stream
/// read in steps must keep one iterator). Calls must not overlap.
final class StreamReader<Element: Sendable>: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<Element, any Error>.Iterator

    init(_ stream: AsyncThrowingStream<Element, any Error>) {
        iterator = stream.makeAsyncIterator()
    }

    private func advance() async throws -> Element? {
        try await iterator.next()
    }

    /// The next element, failing after `deadline` (which also ends the stream).
    func next(within deadline: Duration = .seconds(15)) async throws -> Element {
        try await withThrowingTaskGroup(of: Element?.self) { group in
            group.addTask { try await self.advance() }
            group.addTask {
                try await Task.sleep(for: deadline)
                throw DeadlineExceeded(description: "no element within \(deadline)")
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let first else { throw DeadlineExceeded(description: "the stream ended") }
            return first
        }
    }

    /// The next element that satisfies `predicate`, failing after `deadline`.
    func next(within deadline: Duration = .seconds(15), where predicate: (Element) -> Bool) async throws -> Element {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while true {
            let element = try await next(within: end - clock.now)
            if predicate(element) { return element }
        }
    }
}
