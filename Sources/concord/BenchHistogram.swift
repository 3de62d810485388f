/// A log-bucketed latency histogram in the manner of HdrHistogram: values
/// below 128 ns are exact, larger ones fall in buckets 1/64 of their power of
/// two wide, so every reported percentile is within 1.6% of the true value.
struct BenchHistogram: Sendable {
    /// Linear buckets below the first power-of-two range.
    static let exactBucketCount = 128
    /// Buckets per power of two above that.
    static let subBucketCount = 64

    private(set) var counts = [UInt64](repeating: 0, count: exactBucketCount + 58 * subBucketCount)
    private(set) var total: UInt64 = 0
    private(set) var sumNanoseconds: Double = 0
    private(set) var maxNanoseconds: UInt64 = 0

    static func index(of value: UInt64) -> Int {
        if value < UInt64(exactBucketCount) { return Int(value) }
        let shift = (63 - value.leadingZeroBitCount) - 6
        let sub = Int(value >> UInt64(shift)) - subBucketCount
        return exactBucketCount + (shift - 1) * subBucketCount + sub
    }

    /// The largest value that falls in bucket `index`.
    static func upperBound(of index: Int) -> UInt64 {
        if index < exactBucketCount { return UInt64(index) }
        let shift = (index - exactBucketCount) / subBucketCount + 1
        let sub = UInt64((index - exactBucketCount) % subBucketCount + subBucketCount)
        return ((sub + 1) << UInt64(shift)) - 1
    }

    mutating func record(nanoseconds: UInt64) {
        counts[Self.index(of: nanoseconds)] += 1
        total += 1
        sumNanoseconds += Double(nanoseconds)
        maxNanoseconds = max(maxNanoseconds, nanoseconds)
    }

    mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        record(nanoseconds: UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000))
    }

    mutating func merge(_ other: BenchHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        total += other.total
        sumNanoseconds += other.sumNanoseconds
        maxNanoseconds = max(maxNanoseconds, other.maxNanoseconds)
    }

    /// The value at `percentile` (0–100), in nanoseconds: the upper bound of
    /// the bucket holding that rank, capped at the largest value recorded.
    func value(atPercentile percentile: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = max(1, UInt64((percentile / 100 * Double(total)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= rank { return min(Self.upperBound(of: index), maxNanoseconds) }
        }
        return maxNanoseconds
    }

    var meanNanoseconds: Double { total == 0 ? 0 : sumNanoseconds / Double(total) }
}
