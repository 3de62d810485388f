/// A log-bucketed latency histogram in the manner of HdrHistogram: values
/// below 128 ns are exact, larger ones fall in buckets 1/64 of their power of
/// two wide, so every reported percentile is at most 1/64 (1.6%) above the
/// true value and never below it. `concord bench` records one per client and
/// merges them.
///
/// Every `UInt64` value has a bucket: the histogram never traps, whatever is
/// recorded.
public struct LatencyHistogram: Sendable, Hashable {
    /// Linear buckets below the first power-of-two range: values below this
    /// are counted exactly.
    public static let exactBucketCount = 128
    /// Buckets per power of two above that.
    public static let subBucketCount = 64
    /// The powers of two above the exact range, up to `UInt64.max`.
    static let powerRangeCount = 58

    /// The count of values recorded in each bucket.
    public private(set) var counts = [UInt64](repeating: 0, count: exactBucketCount + powerRangeCount * subBucketCount)
    /// How many values were recorded.
    public private(set) var total: UInt64 = 0
    /// The sum of the values recorded, in nanoseconds.
    public private(set) var sumNanoseconds: Double = 0
    /// The largest value recorded, in nanoseconds (0 when empty).
    public private(set) var maxNanoseconds: UInt64 = 0
    /// The smallest value recorded, in nanoseconds (0 when empty).
    public private(set) var minNanoseconds: UInt64 = 0

    /// An empty histogram.
    public init() {}

    /// The bucket that counts `value`.
    public static func index(of value: UInt64) -> Int {
        if value < UInt64(exactBucketCount) { return Int(value) }
        let shift = (63 - value.leadingZeroBitCount) - 6
        let sub = Int(value >> UInt64(shift)) - subBucketCount
        return exactBucketCount + (shift - 1) * subBucketCount + sub
    }

    /// The largest value that falls in bucket `index` (the top bucket ends
    /// at `UInt64.max`).
    public static func upperBound(of index: Int) -> UInt64 {
        if index < exactBucketCount { return UInt64(index) }
        let shift = (index - exactBucketCount) / subBucketCount + 1
        let sub = UInt64((index - exactBucketCount) % subBucketCount + subBucketCount)
        // (sub + 1) << shift is 2^64 for the top bucket: compute the bound
        // as sub << shift plus the bucket's width minus one, which fits.
        return (sub << UInt64(shift)) + ((1 << UInt64(shift)) - 1)
    }

    /// Counts one value, in nanoseconds.
    public mutating func record(nanoseconds: UInt64) {
        counts[Self.index(of: nanoseconds)] += 1
        minNanoseconds = total == 0 ? nanoseconds : min(minNanoseconds, nanoseconds)
        total += 1
        sumNanoseconds += Double(nanoseconds)
        maxNanoseconds = max(maxNanoseconds, nanoseconds)
    }

    /// Counts one duration: a negative one counts as 0, one longer than
    /// `UInt64.max` nanoseconds (about 584 years) as `UInt64.max`.
    public mutating func record(_ duration: Duration) {
        guard duration > .zero else { return record(nanoseconds: 0) }
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, carry) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        record(nanoseconds: overflow || carry ? UInt64.max : sum)
    }

    /// Adds every value `other` counted, as if recorded here.
    public mutating func merge(_ other: LatencyHistogram) {
        guard other.total > 0 else { return }
        for index in counts.indices { counts[index] += other.counts[index] }
        minNanoseconds = total == 0 ? other.minNanoseconds : min(minNanoseconds, other.minNanoseconds)
        total += other.total
        sumNanoseconds += other.sumNanoseconds
        maxNanoseconds = max(maxNanoseconds, other.maxNanoseconds)
    }

    /// The value at `percentile` (clamped to 0–100; NaN counts as 0), in
    /// nanoseconds: the upper bound of the bucket holding the value of rank
    /// ⌈percentile × total / 100⌉ (at least 1), capped at the largest value
    /// recorded. 0 when nothing was recorded.
    public func value(atPercentile percentile: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let clamped = percentile.isNaN ? 0 : min(100, max(0, percentile))
        let rank = min(total, max(1, UInt64((clamped / 100 * Double(total)).rounded(.up))))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= rank { return min(Self.upperBound(of: index), maxNanoseconds) }
        }
        return maxNanoseconds
    }

    /// The mean of the values recorded, in nanoseconds (0 when empty).
    public var meanNanoseconds: Double { total == 0 ? 0 : sumNanoseconds / Double(total) }
}
