import PropertyBased
import Testing

@testable import ConcordClocks

@Suite struct ClockSynchronizationTests {
    @Test func offsetAndDelayComeFromTheFourTimestamps() throws {
        // Server 50 ahead; request leg 10, server busy 5, reply leg 30.
        let sample = ClockSample(t1: 1_000, t2: 1_060, t3: 1_065, t4: 1_045)
        #expect(try sample.delayNanoseconds() == 40)
        #expect(try sample.offsetNanoseconds() == 40)  // asymmetric legs bias θ by (10 − 30) / 2
        let interval = try sample.offsetInterval()
        #expect(interval == UncertaintyInterval(earliestNanoseconds: 20, latestNanoseconds: 60))
        #expect(interval.contains(50))
    }

    /// Whatever the legs and the server's processing time, the true offset
    /// lies in the sample's interval, whose width is the delay.
    @Test func theTrueOffsetIsAlwaysInTheSampleInterval() async throws {
        let input = zip(
            Gen.int64(in: -1_000_000...1_000_000), Gen.int64(in: 0...10_000), Gen.int64(in: 0...10_000),
            Gen.int64(in: 0...10_000), Gen.int64(in: 0...1_000_000_000))
        await propertyCheck(count: 300, input: input) { offset, forward, processing, back, start in
            let t1 = start
            let t2 = start + forward + offset
            let t3 = t2 + processing
            let t4 = start + forward + processing + back
            let sample = ClockSample(t1: t1, t2: t2, t3: t3, t4: t4)
            let interval = try sample.offsetInterval()
            #expect(interval.contains(offset))
            #expect(try interval.widthNanoseconds == sample.delayNanoseconds())
            #expect(try sample.delayNanoseconds() == forward + back)
        }
    }

    @Test func theFilterRejectsBadSamplesAndPicksTheLowestDelay() throws {
        var filter = ClockSampleFilter(windowCount: 3, maximumDelayNanoseconds: 1_000)
        #expect(throws: ClockSampleError.negativeDelay(delayNanoseconds: -10)) {
            try filter.add(ClockSample(t1: 100, t2: 0, t3: 20, t4: 110))
        }
        #expect(throws: ClockSampleError.delayTooLarge(delayNanoseconds: 5_000, maximumNanoseconds: 1_000)) {
            try filter.add(ClockSample(t1: 0, t2: 0, t3: 0, t4: 5_000))
        }
        #expect(filter.window.isEmpty)
        #expect(filter.best == nil)
        try filter.add(ClockSample(t1: 0, t2: 100, t3: 100, t4: 300))  // delay 300
        try filter.add(ClockSample(t1: 0, t2: 100, t3: 100, t4: 50))  // delay 50
        try filter.add(ClockSample(t1: 0, t2: 100, t3: 100, t4: 500))  // delay 500
        #expect(filter.best == ClockSample(t1: 0, t2: 100, t3: 100, t4: 50))
        try filter.add(ClockSample(t1: 0, t2: 100, t3: 100, t4: 400))  // pushes the 300 out
        try filter.add(ClockSample(t1: 0, t2: 100, t3: 100, t4: 450))  // pushes the 50 out
        #expect(filter.window.count == 3)
        #expect(filter.best == ClockSample(t1: 0, t2: 100, t3: 100, t4: 400))
    }

    @Test func marzulloFindsTheRegionMostSourcesAgreeOn() {
        // The classic example: [8,12], [11,13], [10,12] agree on [11,12];
        // a falseticker [0,5] is outvoted.
        let sources = [(8, 12), (11, 13), (10, 12), (0, 5)].map {
            UncertaintyInterval(earliestNanoseconds: Int64($0.0), latestNanoseconds: Int64($0.1))
        }
        let agreement = Marzullo.intersect(sources)
        #expect(agreement == Marzullo.Agreement(sourceCount: 3, interval: .init(earliestNanoseconds: 11, latestNanoseconds: 12)))
        #expect(Marzullo.intersect([]) == nil)
    }

    /// Against brute force: the maximal overlap is attained at some
    /// interval's start; Marzullo's region is inside exactly that many
    /// sources and is the leftmost maximal region, extended as far as
    /// the count holds.
    @Test func marzulloAgreesWithBruteForce() async {
        let interval = zip(Gen.int64(in: -50...50), Gen.int64(in: 0...30)).map {
            UncertaintyInterval(earliestNanoseconds: $0, latestNanoseconds: $0 + $1)
        }
        await propertyCheck(count: 500, input: interval.array(of: 1...12)) { sources in
            func depth(_ point: Int64) -> Int { sources.filter { $0.contains(point) }.count }
            let bestDepth = sources.map { depth($0.earliestNanoseconds) }.max()!
            guard let agreement = Marzullo.intersect(sources) else {
                Issue.record("no agreement for non-empty input")
                return
            }
            #expect(agreement.sourceCount == bestDepth)
            let region = agreement.interval
            let containing = sources.filter {
                $0.earliestNanoseconds <= region.earliestNanoseconds && region.latestNanoseconds <= $0.latestNanoseconds
            }
            #expect(containing.count == bestDepth)
            let leftmost = (-50...80).first { depth(Int64($0)) == bestDepth }!
            #expect(region.earliestNanoseconds == Int64(leftmost))
            #expect(depth(region.latestNanoseconds) == bestDepth)
            #expect(region.latestNanoseconds == 80 || depth(region.latestNanoseconds + 1) < bestDepth
                || sources.contains { $0.earliestNanoseconds == region.latestNanoseconds + 1 })
        }
    }
}

@Suite struct ClockSynchronizationPipelineTests {
    /// Four time servers, one of them a falseticker 50 ms off; the local
    /// clock runs 7 ms fast. Each server is sampled three times over a
    /// network with asymmetric legs; the filter keeps each server's
    /// lowest-delay sample, Marzullo intersects the four offset intervals,
    /// and the interval clock synchronized with the result contains true
    /// time, then and a second later.
    @Test func samplesFilteredAndIntersectedSynchronizeAnIntervalClock() throws {
        let millisecond: Int64 = 1_000_000
        let localError = 7 * millisecond
        var trueTime: Int64 = 1_000 * millisecond
        let serverErrors: [Int64] = [0, 0, 0, 50 * millisecond]
        // (request leg, server processing, reply leg) of each exchange.
        let exchanges: [(Int64, Int64, Int64)] = [
            (3 * millisecond, 100_000, 9 * millisecond),
            (1 * millisecond, 50_000, 2 * millisecond),
            (6 * millisecond, 200_000, 1 * millisecond),
        ]
        var intervals: [UncertaintyInterval] = []
        for serverError in serverErrors {
            var filter = ClockSampleFilter(maximumDelayNanoseconds: 50 * millisecond)
            for (forward, processing, back) in exchanges {
                let t1 = trueTime + localError
                let t2 = trueTime + forward + serverError
                let t3 = t2 + processing
                let t4 = trueTime + forward + processing + back + localError
                try filter.add(ClockSample(t1: t1, t2: t2, t3: t3, t4: t4))
                trueTime += 10 * millisecond
            }
            intervals.append(try filter.best!.offsetInterval())
        }
        let agreement = try #require(Marzullo.intersect(intervals))
        #expect(agreement.sourceCount == 3)
        #expect(agreement.interval.contains(-localError))

        let interval = agreement.interval
        let offset = interval.earliestNanoseconds + interval.widthNanoseconds / 2
        let uncertainty = (interval.widthNanoseconds + 1) / 2
        var clock = IntervalClock(
            physicalClock: ManualClock(nanoseconds: trueTime + localError), baseUncertaintyNanoseconds: 0,
            driftPartsPerMillion: 100)
        clock.synchronize(offsetNanoseconds: offset, uncertaintyNanoseconds: uncertainty)
        #expect(clock.now().contains(trueTime))
        #expect(clock.now().widthNanoseconds <= 3 * millisecond)
        // A second later, drifting 80 ppm (within the 100 ppm bound).
        trueTime += 1_000 * millisecond
        clock.physicalClock.nanoseconds = trueTime + localError + 80_000
        #expect(clock.now().contains(trueTime))
        // Without synchronization the 7 ms error would put true time outside.
        let unsynchronized = IntervalClock(
            physicalClock: ManualClock(nanoseconds: trueTime + localError), baseUncertaintyNanoseconds: 1 * millisecond,
            driftPartsPerMillion: 100)
        #expect(!unsynchronized.now().contains(trueTime))
    }
}
