import PropertyBased
import Testing

@testable import ConcordClocks

@Suite struct IntervalClockTests {
    @Test func uncertaintyGrowsWithTimeSinceSynchronization() {
        // 1 ms base uncertainty, 200 ppm drift.
        var clock = IntervalClock(
            physicalClock: ManualClock(nanoseconds: 10_000_000_000), baseUncertaintyNanoseconds: 1_000_000,
            driftPartsPerMillion: 200)
        #expect(clock.now() == UncertaintyInterval(earliestNanoseconds: 9_999_000_000, latestNanoseconds: 10_001_000_000))
        clock.physicalClock.advance(byNanoseconds: 5_000_000_000)  // 5 s later: +1 ms of drift
        #expect(clock.now() == UncertaintyInterval(earliestNanoseconds: 14_998_000_000, latestNanoseconds: 15_002_000_000))
        clock.synchronize(offsetNanoseconds: 3_000, uncertaintyNanoseconds: 500_000)
        #expect(clock.now() == UncertaintyInterval(earliestNanoseconds: 14_999_503_000, latestNanoseconds: 15_000_503_000))
    }

    @Test func afterAndBeforeAreCertainOnlyOutsideTheInterval() {
        let clock = IntervalClock(physicalClock: ManualClock(nanoseconds: 1_000), baseUncertaintyNanoseconds: 10, driftPartsPerMillion: 0)
        #expect(clock.after(989))
        #expect(!clock.after(990))
        #expect(clock.before(1_011))
        #expect(!clock.before(1_010))
        #expect(clock.commitTimestamp() == 1_010)
    }

    /// Commit wait returns the least wait after which `after(t)` holds, even
    /// though the uncertainty keeps growing while waiting.
    @Test func commitWaitIsTheLeastSufficientWait() async {
        let input = zip(
            Gen.int64(in: 0...1_000_000), Gen.int64(in: 0...999_999), Gen.int64(in: -5_000_000...5_000_000),
            Gen.int64(in: 0...10_000_000))
        await propertyCheck(count: 300, input: input) { base, drift, target, start in
            var clock = IntervalClock(
                physicalClock: ManualClock(nanoseconds: 0), baseUncertaintyNanoseconds: base, driftPartsPerMillion: drift)
            clock.physicalClock.nanoseconds = start
            let wait = clock.commitWaitNanoseconds(until: target)
            #expect(wait >= 0)
            var later = clock
            later.physicalClock.advance(byNanoseconds: wait)
            #expect(later.after(target))
            if wait > 0 {
                var earlier = clock
                earlier.physicalClock.advance(byNanoseconds: wait - 1)
                #expect(!earlier.after(target))
            }
        }
    }

    /// With a drift within the bound, the interval always contains true time.
    @Test func intervalsContainTrueTimeWhileDriftIsWithinTheBound() async {
        let input = zip(Gen.int64(in: -100...100), Gen.int64(in: 0...1_000_000_000).array(of: 1...20))
        await propertyCheck(count: 200, input: input) { driftPartsPerMillion, advances in
            var clock = IntervalClock(physicalClock: ManualClock(nanoseconds: 0), baseUncertaintyNanoseconds: 1_000, driftPartsPerMillion: 100)
            var trueTime: Int64 = 0
            for advance in advances {
                trueTime += advance
                // The local clock runs fast or slow by `drift` ppm, rounded toward true time.
                clock.physicalClock.nanoseconds = trueTime + trueTime * driftPartsPerMillion / 1_000_000
                #expect(clock.now().contains(trueTime))
            }
        }
    }
}
