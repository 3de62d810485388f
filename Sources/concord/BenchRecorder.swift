import ConcordLab
import Histogram
import Synchronization

/// What the clients of one `concord bench` run record: each request's
/// latency in an HdrHistogram (hdrhistogram-swift), and the number of
/// requests completed in each interval since the start, for the throughput
/// over time. Clients record into a few stripes, each behind its own lock,
/// merged at the end.
final class BenchRecorder: Sendable {
    /// The length of one throughput interval.
    static let throughputIntervalMilliseconds = 10
    /// The smallest latency told apart from zero: 1 µs, in nanoseconds.
    static let latencyDiscernibleNanoseconds: UInt64 = 1_000
    /// The largest latency recorded as itself: one hour, in nanoseconds;
    /// longer ones are recorded as this.
    static let latencyTrackableNanoseconds: UInt64 = 3_600_000_000_000
    /// The most stripes; clients share them round-robin.
    static let stripesMax = 16

    /// The latencies and completions of some of the clients.
    struct Stripe: Sendable {
        var latencies = BenchRecorder.emptyHistogram()
        var completions: [UInt32] = []

        mutating func record(latencyNanoseconds: UInt64, completedAfterNanoseconds elapsed: UInt64) {
            _ = latencies.record(min(latencyNanoseconds, BenchRecorder.latencyTrackableNanoseconds))
            let slot = Int(elapsed / UInt64(BenchRecorder.throughputIntervalMilliseconds * 1_000_000))
            if slot >= completions.count { completions += [UInt32](repeating: 0, count: slot + 1 - completions.count) }
            completions[slot] += 1
        }

        mutating func add(_ other: Stripe) {
            latencies.add(other.latencies)
            if other.completions.count > completions.count {
                completions += [UInt32](repeating: 0, count: other.completions.count - completions.count)
            }
            for (slot, count) in other.completions.enumerated() { completions[slot] += count }
        }
    }

    static func emptyHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(
            lowestDiscernibleValue: latencyDiscernibleNanoseconds, highestTrackableValue: latencyTrackableNanoseconds,
            numberOfSignificantValueDigits: .three)
    }

    /// A stripe behind its own lock (a `Mutex` cannot sit in an array).
    final class LockedStripe: Sendable {
        let stripe = Mutex(Stripe())
    }

    private let stripes: [LockedStripe]
    private let clock = ContinuousClock()
    /// The run's start: throughput intervals count from here.
    let start: ContinuousClock.Instant

    init(clients: Int) {
        stripes = (0..<min(max(clients, 1), Self.stripesMax)).map { _ in LockedStripe() }
        start = clock.now
    }

    /// Records one request of `client` that took `latencyNanoseconds` and
    /// completed now.
    func record(client: Int, latencyNanoseconds: UInt64) {
        let elapsed = UInt64(max((clock.now - start).benchNanoseconds, 0))
        stripes[client % stripes.count].stripe.withLock {
            $0.record(latencyNanoseconds: latencyNanoseconds, completedAfterNanoseconds: elapsed)
        }
    }

    /// Every stripe merged.
    func merged() -> Stripe {
        var total = Stripe()
        for locked in stripes { total.add(locked.stripe.withLock { $0 }) }
        return total
    }
}

extension BenchRecorder.Stripe {
    /// The histogram's non-empty buckets, each with its upper bound.
    var latencyBuckets: [BenchRun.LatencyBucket] {
        latencies.recordedValues().map { value in
            BenchRun.LatencyBucket(
                upperMilliseconds: Double(latencies.highestEquivalentForValue(value.value)) / 1e6, count: UInt64(value.count))
        }
    }

    /// The latency percentiles a report prints, in milliseconds.
    var latencyMilliseconds: [String: Double] {
        let ms = { (nanoseconds: UInt64) in Double(nanoseconds) / 1e6 }
        guard latencies.totalCount > 0 else {
            return ["mean": 0, "p50": 0, "p90": 0, "p99": 0, "p99.9": 0, "max": 0]
        }
        return [
            "mean": latencies.mean / 1e6, "p50": ms(latencies.valueAtPercentile(50)), "p90": ms(latencies.valueAtPercentile(90)),
            "p99": ms(latencies.valueAtPercentile(99)), "p99.9": ms(latencies.valueAtPercentile(99.9)), "max": ms(latencies.max),
        ]
    }
}
