import Dispatch
import Foundation
import UnixSignals

/// The last resort of a stop on request: once SIGTERM or SIGINT arrives,
/// the process exits within ``stopSecondsMax`` whatever it is doing.
///
/// The graceful stop (swift-service-lifecycle's `ServiceGroup`) normally
/// ends well before: calls in flight get `ServerService.drainMillisecondsMax`
/// and the node then closes its files. Should anything hang (a stuck
/// socket, a start that never finishes), the watchdog writes why to
/// standard error and ends the process with status 1. Exiting without the
/// graceful stop loses nothing acknowledged: a write is acknowledged only
/// once durable on a majority, exactly what `kill -9` relies on.
enum ShutdownWatchdog {
    /// The longest a process runs after SIGTERM or SIGINT, in seconds.
    static let stopSecondsMax = 10

    /// Starts watching for the first SIGTERM or SIGINT.
    /// - Parameter command: The command's name, for the message.
    static func start(command: String) {
        Task.detached {
            for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                // A Dispatch timer, not a task: it fires even when every
                // thread of the concurrency pool is blocked.
                DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(stopSecondsMax)) {
                    FileHandle.standardError.write(
                        Data("\(command): did not stop within \(stopSecondsMax) s of \(signal); exiting\n".utf8))
                    _exit(1)
                }
                return
            }
        }
    }
}
