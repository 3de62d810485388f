import Dispatch
import Foundation
import Synchronization

/// Runs one check over many seeds and collects the seeds that fail.
public struct Sweep {
    /// Runs `body` for every seed in `seeds`, in order.
    ///
    /// - Parameters:
    ///   - seeds: the seeds to try.
    ///   - failuresMax: stop early after this many failures (nil: never).
    ///   - progress: called after each seed with the number of seeds done and
    ///     the number of failures so far.
    ///   - body: runs one seed; returns true when every check passed.
    /// - Returns: the failing seeds, in order.
    public static func run(
        seeds: Range<UInt64>,
        failuresMax: Int? = nil,
        progress: ((Int, Int) -> Void)? = nil,
        body: (UInt64) -> Bool
    ) -> [UInt64] {
        var failures: [UInt64] = []
        var done = 0
        for seed in seeds {
            if !body(seed) { failures.append(seed) }
            done += 1
            progress?(done, failures.count)
            if let failuresMax, failures.count >= failuresMax { break }
        }
        return failures
    }
}

extension Sweep {
    /// Runs `body` for every seed in `seeds` on `workers` threads at once
    /// (each run is independent and deterministic, so the verdicts are the
    /// same as one after another) and collects the failing seeds with
    /// their verdicts.
    ///
    /// - Parameters:
    ///   - seeds: the seeds to try.
    ///   - workers: how many runs go at once; the processor count by default.
    ///   - progress: called after each seed, under a lock, with the number
    ///     of seeds done and the number of failures so far.
    ///   - body: runs one seed; returns nil when every check passed, or the verdict.
    /// - Returns: the failing seeds, in order, with their verdicts.
    public static func runInParallel(
        seeds: Range<UInt64>,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: (@Sendable (Int, Int) -> Void)? = nil,
        body: @Sendable (UInt64) -> String?
    ) -> [(seed: UInt64, verdict: String)] {
        struct Shared {
            var next: UInt64
            var done = 0
            var failures: [(seed: UInt64, verdict: String)] = []
        }
        let shared = Mutex(Shared(next: seeds.lowerBound))
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, seeds.count))) { _ in
            while true {
                let seed: UInt64? = shared.withLock { state in
                    guard state.next < seeds.upperBound else { return nil }
                    defer { state.next += 1 }
                    return state.next
                }
                guard let seed else { return }
                let verdict = body(seed)
                shared.withLock { state in
                    state.done += 1
                    if let verdict { state.failures.append((seed, verdict)) }
                    progress?(state.done, state.failures.count)
                }
            }
        }
        return shared.withLock { $0.failures.sorted { $0.seed < $1.seed } }
    }
}
