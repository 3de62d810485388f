import ConcordLab
import Testing

/// `concord bench`'s latency histogram: exact below 128 ns, within 1/64
/// above, never trapping.
@Suite struct LatencyHistogramTests {
    /// The value of rank ⌈p × n / 100⌉ (at least 1) in `sorted`: the
    /// definition the histogram approximates.
    private func exactPercentile(_ sorted: [UInt64], _ percentile: Double) -> UInt64 {
        let rank = max(1, Int((percentile / 100 * Double(sorted.count)).rounded(.up)))
        return sorted[min(rank, sorted.count) - 1]
    }

    /// Deterministic pseudo-random values spread over many powers of two.
    private func spreadValues(count: Int, seed: UInt64) -> [UInt64] {
        var state = seed
        var values: [UInt64] = []
        for _ in 0..<count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            // A random magnitude between 2^0 and 2^40, then random bits below it.
            let bits = z % 41
            values.append(bits == 0 ? 0 : (z >> 20) & ((1 << bits) - 1))
        }
        return values
    }

    @Test func valuesBelow128NanosecondsArePercentilesExactly() {
        var histogram = LatencyHistogram()
        for value in (1...100).reversed() { histogram.record(nanoseconds: UInt64(value)) }
        #expect(histogram.total == 100)
        #expect(histogram.value(atPercentile: 0) == 1)
        #expect(histogram.value(atPercentile: 1) == 1)
        #expect(histogram.value(atPercentile: 50) == 50)
        #expect(histogram.value(atPercentile: 50.5) == 51)
        #expect(histogram.value(atPercentile: 90) == 90)
        #expect(histogram.value(atPercentile: 99) == 99)
        #expect(histogram.value(atPercentile: 99.9) == 100)
        #expect(histogram.value(atPercentile: 100) == 100)
        #expect(histogram.meanNanoseconds == 50.5)
        #expect(histogram.minNanoseconds == 1)
        #expect(histogram.maxNanoseconds == 100)
    }

    @Test func largeValuesArePercentilesWithinOneSixtyFourthAboveAndNeverBelow() {
        let values = spreadValues(count: 5000, seed: 7)
        var histogram = LatencyHistogram()
        for value in values { histogram.record(nanoseconds: value) }
        let sorted = values.sorted()
        for percentile in [0.0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100] {
            let exact = exactPercentile(sorted, percentile)
            let reported = histogram.value(atPercentile: percentile)
            #expect(reported >= exact, "p\(percentile): \(reported) below \(exact)")
            #expect(reported - exact <= exact / 64, "p\(percentile): \(reported) more than 1/64 above \(exact)")
        }
        #expect(histogram.value(atPercentile: 100) == sorted.last)
    }

    @Test func aKnownMillisecondSetGivesItsPercentilesToThePrecision() {
        // 90 requests of 1 ms, 9 of 10 ms, 1 of 100 ms.
        var histogram = LatencyHistogram()
        for _ in 0..<90 { histogram.record(.milliseconds(1)) }
        for _ in 0..<9 { histogram.record(.milliseconds(10)) }
        histogram.record(.milliseconds(100))
        let p50 = histogram.value(atPercentile: 50)
        let p90 = histogram.value(atPercentile: 90)
        let p91 = histogram.value(atPercentile: 91)
        let p99 = histogram.value(atPercentile: 99)
        #expect((1_000_000...1_000_000 + 1_000_000 / 64).contains(p50))
        #expect((1_000_000...1_000_000 + 1_000_000 / 64).contains(p90))
        #expect((10_000_000...10_000_000 + 10_000_000 / 64).contains(p91))
        #expect((10_000_000...10_000_000 + 10_000_000 / 64).contains(p99))
        #expect(histogram.value(atPercentile: 100) == 100_000_000)
        #expect(histogram.meanNanoseconds == (90 * 1e6 + 9 * 1e7 + 1e8) / 100)
    }

    @Test func anEmptyHistogramReportsZeroForEverything() {
        let histogram = LatencyHistogram()
        #expect(histogram.total == 0)
        for percentile in [0.0, 50, 100] { #expect(histogram.value(atPercentile: percentile) == 0) }
        #expect(histogram.meanNanoseconds == 0)
        #expect(histogram.maxNanoseconds == 0)
        #expect(histogram.minNanoseconds == 0)
    }

    @Test func mergingEqualsRecordingEveryValueInOneHistogram() {
        let first = spreadValues(count: 800, seed: 1)
        let second = spreadValues(count: 1200, seed: 2)
        var a = LatencyHistogram()
        var b = LatencyHistogram()
        var both = LatencyHistogram()
        for value in first {
            a.record(nanoseconds: value)
            both.record(nanoseconds: value)
        }
        for value in second {
            b.record(nanoseconds: value)
            both.record(nanoseconds: value)
        }
        var merged = a
        merged.merge(b)
        #expect(merged.counts == both.counts)
        #expect(merged.total == 2000)
        #expect(merged.minNanoseconds == both.minNanoseconds)
        #expect(merged.maxNanoseconds == both.maxNanoseconds)
        // The sums may differ in the last bit (floating-point order).
        #expect(abs(merged.sumNanoseconds - both.sumNanoseconds) <= both.sumNanoseconds * 1e-12)
        for percentile in [50.0, 99, 100] {
            #expect(merged.value(atPercentile: percentile) == both.value(atPercentile: percentile))
        }
    }

    @Test func mergingAnEmptyHistogramChangesNothingAndIntoAnEmptyOneCopies() {
        var histogram = LatencyHistogram()
        histogram.record(nanoseconds: 500)
        histogram.record(nanoseconds: 7)
        let before = histogram
        histogram.merge(LatencyHistogram())
        #expect(histogram == before)
        var empty = LatencyHistogram()
        empty.merge(before)
        #expect(empty == before)
        #expect(empty.minNanoseconds == 7)
    }

    @Test func extremeValuesHaveBucketsAndPercentilesWithoutTrapping() {
        var histogram = LatencyHistogram()
        histogram.record(nanoseconds: 0)
        histogram.record(nanoseconds: UInt64.max)
        histogram.record(nanoseconds: UInt64.max - 1)
        #expect(histogram.value(atPercentile: 0) == 0)
        #expect(histogram.value(atPercentile: 34) == UInt64.max)
        #expect(histogram.value(atPercentile: 100) == UInt64.max)
        #expect(histogram.maxNanoseconds == UInt64.max)
        #expect(histogram.minNanoseconds == 0)
        #expect(LatencyHistogram.upperBound(of: LatencyHistogram.index(of: UInt64.max)) == UInt64.max)
    }

    @Test func everyBucketHoldsItsValueAndIsAtMostOneSixtyFourthWide() {
        var samples: [UInt64] = [0, 1, 127, 128, 129, 255, 256, UInt64.max]
        for power in 7..<64 {
            let base = UInt64(1) << UInt64(power)
            samples += [base - 1, base, base + 1, base + base / 3]
        }
        var previousIndex = -1
        for value in Set(samples).sorted() {
            let index = LatencyHistogram.index(of: value)
            #expect(index >= previousIndex, "buckets must follow value order at \(value)")
            previousIndex = index
            #expect(index < LatencyHistogram().counts.count)
            let upper = LatencyHistogram.upperBound(of: index)
            #expect(upper >= value, "\(value) above its bucket's bound \(upper)")
            #expect(upper - value <= value / 64, "bucket of \(value) too wide: bound \(upper)")
            if index > 0 { #expect(LatencyHistogram.upperBound(of: index - 1) < value, "\(value) belongs to an earlier bucket") }
        }
    }

    @Test func durationsOutOfRangeAreClampedRatherThanTrapping() {
        var histogram = LatencyHistogram()
        histogram.record(.milliseconds(-5))
        histogram.record(.seconds(Int64.max))
        histogram.record(.nanoseconds(1500))
        #expect(histogram.minNanoseconds == 0)
        #expect(histogram.maxNanoseconds == UInt64.max)
        #expect(histogram.counts[LatencyHistogram.index(of: 1500)] == 1)
    }

    @Test func percentilesOutsideZeroToHundredAreClamped() {
        var histogram = LatencyHistogram()
        for value in [10, 20, 30] as [UInt64] { histogram.record(nanoseconds: value) }
        #expect(histogram.value(atPercentile: -3) == 10)
        #expect(histogram.value(atPercentile: .nan) == 10)
        #expect(histogram.value(atPercentile: 250) == 30)
        #expect(histogram.value(atPercentile: .infinity) == 30)
    }
}
