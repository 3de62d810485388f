import PropertyBased
import Testing

@testable import ConcordClocks

@Suite struct HybridLogicalClockTests {
    static let maximumOffset: Int64 = 500

    @Test func localEventsFollowPhysicalTimeAndCountWithinATick() {
        var clock = HybridLogicalClock(physicalClock: ManualClock(nanoseconds: 100), maximumOffsetNanoseconds: 50)
        #expect(clock.now() == HybridTimestamp(wallNanoseconds: 100, logical: 0))
        #expect(clock.now() == HybridTimestamp(wallNanoseconds: 100, logical: 1))
        clock.physicalClock.nanoseconds = 90  // the physical clock stepped back
        #expect(clock.now() == HybridTimestamp(wallNanoseconds: 100, logical: 2))
        clock.physicalClock.nanoseconds = 120
        #expect(clock.now() == HybridTimestamp(wallNanoseconds: 120, logical: 0))
    }

    @Test func receiveFollowsTheFourCasesOfThePaper() throws {
        var clock = HybridLogicalClock(physicalClock: ManualClock(nanoseconds: 100), maximumOffsetNanoseconds: 50)
        _ = clock.now()  // 100.0
        // Remote ahead, within the offset: adopt its wall time, logical + 1.
        #expect(try clock.receive(HybridTimestamp(wallNanoseconds: 130, logical: 4)) == .init(wallNanoseconds: 130, logical: 5))
        // Equal wall times: max of both logicals + 1.
        #expect(try clock.receive(HybridTimestamp(wallNanoseconds: 130, logical: 9)) == .init(wallNanoseconds: 130, logical: 10))
        // Remote behind: keep ours, logical + 1.
        #expect(try clock.receive(HybridTimestamp(wallNanoseconds: 10, logical: 99)) == .init(wallNanoseconds: 130, logical: 11))
        // Physical time passed everything: reset the logical counter.
        clock.physicalClock.nanoseconds = 200
        #expect(try clock.receive(HybridTimestamp(wallNanoseconds: 150, logical: 3)) == .init(wallNanoseconds: 200, logical: 0))
    }

    @Test func aRemoteTimestampTooFarAheadIsRejectedAndChangesNothing() {
        var clock = HybridLogicalClock(physicalClock: ManualClock(nanoseconds: 1_000), maximumOffsetNanoseconds: 100)
        _ = clock.now()
        let before = clock.last
        let remote = HybridTimestamp(wallNanoseconds: 1_101, logical: 0)
        #expect(throws: HybridLogicalClockError.remoteTooFarAhead(
            remote: remote, physicalNanoseconds: 1_000, maximumOffsetNanoseconds: 100)
        ) {
            try clock.receive(remote)
        }
        #expect(clock.last == before)
        #expect(throws: HybridLogicalClockError.self) {
            try clock.receive(HybridTimestamp(wallNanoseconds: Int64.max, logical: 0))
        }
        #expect(clock.last == before)
        // Exactly at the bound is accepted.
        #expect((try? clock.receive(HybridTimestamp(wallNanoseconds: 1_100, logical: 0))) != nil)
    }

    @Test func aForgedLogicalCounterIsRejected() {
        var clock = HybridLogicalClock(physicalClock: ManualClock(nanoseconds: 10), maximumOffsetNanoseconds: 100)
        let before = clock.last
        #expect(throws: HybridLogicalClockError.self) {
            try clock.receive(HybridTimestamp(wallNanoseconds: 50, logical: UInt32.max))
        }
        #expect(clock.last == before)
    }

    /// Three nodes whose physical clocks advance at random and stay within
    /// `maximumOffset / 2` of true time, exchanging messages at random.
    /// Every timestamp is larger than the node's previous one and than the
    /// message it received, never behind physical time, and never more
    /// than the maximum offset ahead of it.
    @Test func timestampsAreMonotonicCausalAndWithinTheOffsetBound() async throws {
        let steps = zip(Gen.int(in: 0...2), Gen.int(in: 0...2), Gen.int64(in: 0...3), Gen.int64(in: -250...250))
            .array(of: 0...80)
        await propertyCheck(count: 300, input: steps) { steps in
            var trueTime: Int64 = 1_000
            var skews: [Int64] = [0, 0, 0]
            var clocks = (0..<3).map { _ in
                HybridLogicalClock(physicalClock: ManualClock(nanoseconds: 1_000), maximumOffsetNanoseconds: Self.maximumOffset)
            }
            var inFlight: [(to: Int, stamp: HybridTimestamp)] = []
            for (node, action, advance, skew) in steps {
                trueTime += advance
                // Skew changes only forward so each physical clock is monotonic.
                skews[node] = max(skews[node], skew)
                for index in 0..<3 {
                    clocks[index].physicalClock.nanoseconds = max(clocks[index].physicalClock.nanoseconds, trueTime + skews[index])
                }
                let previous = clocks[node].last
                let stamp: HybridTimestamp
                if action == 2, let message = inFlight.firstIndex(where: { $0.to == node }) {
                    let received = inFlight.remove(at: message).stamp
                    stamp = try clocks[node].receive(received)
                    #expect(stamp > received)
                } else {
                    stamp = clocks[node].now()
                    if action == 1 { inFlight.append(((node + 1) % 3, stamp)) }
                }
                #expect(stamp > previous)
                let physical = clocks[node].physicalClock.nanoseconds
                #expect(stamp.wallNanoseconds >= physical)
                #expect(stamp.wallNanoseconds - physical <= Self.maximumOffset)
            }
        }
    }
}
