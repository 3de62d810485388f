import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A long-running etcdctl command (`watch` by default, or e.g. `lease
/// keep-alive`) whose standard output is collected as it arrives, so a test
/// can wait (with a deadline) for what it expects.
final class WatchProcess: Sendable {
    private let process: Process
    private let collected = Collected()

    private final class Collected: Sendable {
        let data = Mutex<Data>(Data())
        func withLock<Result>(_ body: (inout Data) -> Result) -> Result { data.withLock { body(&$0) } }
    }

    /// Starts `etcdctl <command> <arguments>` (API v3) against `endpoints`.
    init(endpoints: String, command: [String] = ["watch"], _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/etcdctl")
        process.arguments = ["--endpoints=\(endpoints)", "--dial-timeout=3s"] + command + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ETCDCTL_API"] = "3"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        self.process = process
        pipe.fileHandleForReading.readabilityHandler = { [collected] handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                return
            }
            collected.withLock { $0.append(chunk) }
        }
        try process.run()
    }

    /// Everything printed so far.
    var output: String { collected.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Waits until the output is at least as long as `expected` (it only
    /// grows), then returns it; throws after `seconds`.
    func waitForOutput(_ expected: String, seconds: Double) async throws -> String {
        try await waitUntil("etcdctl watch to print \(expected.debugDescription)", seconds: seconds) {
            output.utf8.count >= expected.utf8.count
        }
        return output
    }

    /// Kills the watcher and waits for it to exit.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
