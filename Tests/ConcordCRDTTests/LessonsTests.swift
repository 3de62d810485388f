import ConcordClocks
import Testing

@testable import ConcordCRDT

/// The lessons of physical versus logical time, as runnable tests. Each
/// shows the failure and the fix side by side.
@Suite struct LessonsTests {
    static let millisecond: Int64 = 1_000_000

    /// Node A's clock runs 100 ms fast. A writes x = "first"; B receives it
    /// and then writes x = "second", a causally later write. Ordered by
    /// physical timestamps, A's write carries the larger stamp and the later
    /// write is silently discarded. Ordered by hybrid logical clocks, B's
    /// clock has moved past A's timestamp on receipt, so the later write wins.
    @Test func lastWriteWinsOnPhysicalTimeLosesACausallyLaterWriteButHybridTimeKeepsIt() throws {
        var trueTime: Int64 = 1_000 * Self.millisecond
        let skewA: Int64 = 100 * Self.millisecond
        var clockA = HybridLogicalClock(physicalClock: ManualClock(nanoseconds: trueTime + skewA), maximumOffsetNanoseconds: 250 * Self.millisecond)
        var clockB = HybridLogicalClock(physicalClock: ManualClock(nanoseconds: trueTime), maximumOffsetNanoseconds: 250 * Self.millisecond)

        // A writes.
        let physicalA = clockA.physicalClock.nowNanoseconds()
        let hybridA = clockA.now()
        // 10 ms later B has received A's write and writes on top of it.
        trueTime += 10 * Self.millisecond
        clockB.physicalClock.nanoseconds = trueTime
        _ = try clockB.receive(hybridA)
        let physicalB = clockB.physicalClock.nowNanoseconds()
        let hybridB = clockB.now()

        // The failure: stamps from physical clocks.
        var physicalRegister = LWWRegister<String>()
        physicalRegister.assign("first", timestamp: HybridTimestamp(wallNanoseconds: physicalA), at: 1)
        physicalRegister.assign("second", timestamp: HybridTimestamp(wallNanoseconds: physicalB), at: 2)
        #expect(physicalRegister.value == "first", "the causally later write is lost")

        // The fix: stamps from hybrid logical clocks.
        var hybridRegister = LWWRegister<String>()
        hybridRegister.assign("first", timestamp: hybridA, at: 1)
        hybridRegister.assign("second", timestamp: hybridB, at: 2)
        #expect(hybridB > hybridA)
        #expect(hybridRegister.value == "second")
        // And the hybrid stamp stays close to physical time: at most the skew ahead.
        #expect(hybridB.wallNanoseconds - physicalB <= skewA)
    }

    /// Two pairs of events with the same Lamport timestamps, 1 and 2: in the
    /// first pair the second event causally follows the first, in the other
    /// the events are concurrent. Lamport timestamps order both pairs alike
    /// (so a system ordering by them would silently pick a winner between
    /// the concurrent updates); vector clocks tell the pairs apart.
    @Test func lamportTimestampsOrderConcurrentUpdatesArbitrarilyWhileVectorClocksExposeThem() {
        // Causal pair: P1 sends to P2, P2 updates on receipt.
        var lamport1 = LamportClock()
        var lamport2 = LamportClock()
        var vector1 = VectorClock()
        var vector2 = VectorClock()
        let sendTime = lamport1.send()
        let sendVector = vector1.send(1)
        let receiveTime = lamport2.receive(sendTime)
        let receiveVector = vector2.receive(sendVector, at: 2)

        // Concurrent pair: P3 updates once after a local event, P4 updates
        // once, and they never communicate.
        var lamport3 = LamportClock()
        var lamport4 = LamportClock()
        var vector3 = VectorClock()
        var vector4 = VectorClock()
        let updateTime4 = lamport4.tick()
        let updateVector4 = vector4.tick(4)
        lamport3.tick()
        vector3.tick(3)
        let updateTime3 = lamport3.tick()
        let updateVector3 = vector3.tick(3)

        // The failure: Lamport timestamps look the same for both pairs.
        #expect((sendTime, receiveTime) == (1, 2))
        #expect((updateTime4, updateTime3) == (1, 2))
        let lamportWinner = LamportTimestamp(time: updateTime3, replica: 3) > LamportTimestamp(time: updateTime4, replica: 4) ? 3 : 4
        #expect(lamportWinner == 3, "P4's concurrent update would be discarded as 'older'")

        // The fix: vector clocks distinguish them.
        #expect(sendVector.compare(receiveVector) == .before)
        #expect(updateVector4.compare(updateVector3) == .concurrent)
    }

    /// A user adds "milk", everyone syncs; then replica A removes it while
    /// replica B concurrently adds it again. A 2P-Set loses the re-add (its
    /// tombstone is forever); an OR-Set keeps it, because B's add carries a
    /// dot A's remove never observed.
    @Test func anORSetKeepsAConcurrentReAddThatATwoPhaseSetLoses() {
        // The failure: 2P-Set.
        var twoPhaseA = TwoPhaseSet<String>()
        twoPhaseA.insert("milk")
        var twoPhaseB = twoPhaseA
        twoPhaseA.remove("milk")
        twoPhaseB.insert("milk")
        #expect(twoPhaseB.contains("milk"), "B sees its own re-add")
        #expect(!twoPhaseA.merging(twoPhaseB).contains("milk"), "after sync the re-add is gone")

        // The fix: OR-Set.
        var orA = ORSet<String>()
        orA.insert("milk", at: 1)
        var orB = orA
        orA.remove("milk")
        orB.insert("milk", at: 2)
        #expect(orA.merging(orB).contains("milk"))
        #expect(orB.merging(orA).contains("milk"))
    }

    /// One transaction commits on node A; after it is acknowledged, a
    /// second starts on node B. Real-time order (external consistency)
    /// requires the second commit timestamp to be larger. Each node picks a
    /// commit timestamp from its clock and holds the acknowledgement until
    /// that timestamp has passed ("commit wait").
    ///
    /// Waiting on a single local clock (uncertainty taken as zero) only
    /// waits for A's own clock; when A's clock is ahead of B's, B picks a
    /// smaller timestamp. Waiting with TrueTime intervals whose uncertainty
    /// covers the skew guarantees the order for every skew within the bound.
    @Test func commitWaitOverIntervalsKeepsRealTimeOrderWhereASingleClockDoesNot() {
        let skewBound = 10 * Self.millisecond
        let skews: [Int64] = stride(from: -skewBound, through: skewBound, by: 2_500_000).map { $0 }
        var singleClockViolations = 0
        var intervalViolations = 0
        for skewA in skews {
            for skewB in skews {
                let single = commitTwoTransactions(skewA: skewA, skewB: skewB, uncertainty: 0)
                if single.second <= single.first { singleClockViolations += 1 }
                let interval = commitTwoTransactions(skewA: skewA, skewB: skewB, uncertainty: skewBound)
                if interval.second <= interval.first { intervalViolations += 1 }
                // Commit wait costs about twice the uncertainty, not more.
                #expect(interval.waitA <= 2 * skewBound + 1)
            }
        }
        // The failure: a single clock lets B's later transaction take an
        // earlier timestamp (here, whenever A's clock is ahead of B's).
        #expect(singleClockViolations == skews.count * (skews.count - 1) / 2)
        // The fix: never, for any skew within the bound.
        #expect(intervalViolations == 0)
    }

    /// Runs T1 on A at true time 1 s, waits out A's commit wait, then runs
    /// T2 on B 1 µs after T1's acknowledgement.
    private func commitTwoTransactions(skewA: Int64, skewB: Int64, uncertainty: Int64)
        -> (first: Int64, second: Int64, waitA: Int64)
    {
        var trueTime: Int64 = 1_000 * Self.millisecond
        var nodeA = IntervalClock(
            physicalClock: ManualClock(nanoseconds: trueTime + skewA), baseUncertaintyNanoseconds: uncertainty,
            driftPartsPerMillion: 0)
        let first = nodeA.commitTimestamp()
        let waitA = nodeA.commitWaitNanoseconds(until: first)
        trueTime += waitA
        nodeA.physicalClock.nanoseconds = trueTime + skewA
        #expect(nodeA.after(first))
        // Acknowledged; the client immediately starts T2 on B.
        trueTime += 1_000
        let nodeB = IntervalClock(
            physicalClock: ManualClock(nanoseconds: trueTime + skewB), baseUncertaintyNanoseconds: uncertainty,
            driftPartsPerMillion: 0)
        return (first, nodeB.commitTimestamp(), waitA)
    }
}
