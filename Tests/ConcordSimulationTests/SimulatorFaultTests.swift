import Testing
import ConcordSimulation

@Suite("Simulator: network faults")
struct SimulatorNetworkFaultTests {
    static let fixedLatency = NetworkConditions(latencyMin: .milliseconds(2), latencyMax: .milliseconds(2))

    @Test func aPartitionDropsMessagesBetweenGroupsBothWaysAndHealRestoresThem() {
        var sim = Simulator<ProbeNode>(seed: 1, nodeIDs: [0, 1, 2, 3], network: Self.fixedLatency)
        sim.partition([[0, 1], [2]])
        sim.ping(1, from: 0, to: 2)
        sim.ping(2, from: 2, to: 0)
        sim.ping(3, from: 0, to: 1)
        sim.ping(4, from: 3, to: 2)  // node 3 is in no group and keeps its links
        sim.run(for: .milliseconds(100))
        #expect(sim.node(2)!.pings == [4])
        #expect(sim.node(0)!.pings.isEmpty)
        #expect(sim.node(1)!.pings == [3])
        sim.heal()
        sim.ping(5, from: 0, to: 2)
        sim.run(for: .milliseconds(100))
        #expect(sim.node(2)!.pings == [4, 5])
        #expect(sim.node(0)!.pongs == [3, 5])
    }

    @Test func aPartitionDropsMessagesAlreadyInFlight() {
        var sim = Simulator<ProbeNode>(seed: 2, nodeIDs: [0, 1], network: Self.fixedLatency)
        sim.ping(1, from: 0, to: 1)
        sim.run(for: .milliseconds(1))
        sim.partition([[0], [1]])
        sim.run(for: .milliseconds(100))
        #expect(sim.node(1)!.received.isEmpty)
        #expect(sim.trace.contains { $0.contains("n0->n1 dropped (partition) ping(1)") })
    }

    @Test func aBlockedLinkDropsOneDirectionOnly() {
        var sim = Simulator<ProbeNode>(seed: 3, nodeIDs: [0, 1], network: Self.fixedLatency)
        sim.block(from: 0, to: 1)
        sim.ping(1, from: 0, to: 1)
        sim.ping(2, from: 1, to: 0)
        sim.run(for: .milliseconds(100))
        #expect(sim.node(1)!.pings.isEmpty)
        #expect(sim.node(0)!.pings == [2])
        // Node 0's pong back to node 1 is on the blocked link too.
        #expect(sim.node(1)!.pongs.isEmpty)
    }

    @Test func totalLossDeliversNothingAndNoLossDeliversEverything() {
        var lossy = Simulator<ProbeNode>(seed: 4, nodeIDs: [0, 1], network: NetworkConditions(lossPerMillion: 1_000_000))
        var reliable = Simulator<ProbeNode>(seed: 4, nodeIDs: [0, 1], network: NetworkConditions(lossPerMillion: 0))
        for value in 0..<200 {
            lossy.ping(value, from: 0, to: 1)
            reliable.ping(value, from: 0, to: 1)
        }
        lossy.run(for: .seconds(1))
        reliable.run(for: .seconds(1))
        #expect(lossy.node(1)!.received.isEmpty)
        #expect(reliable.node(1)!.pings.sorted() == Array(0..<200))
        #expect(reliable.node(0)!.pongs.count == 200)
    }

    @Test func partialLossDropsRoughlyItsRate() {
        var sim = Simulator<ProbeNode>(seed: 5, nodeIDs: [0, 1], network: NetworkConditions(lossPerMillion: 300_000))
        for value in 0..<1_000 { sim.ping(value, from: 0, to: 1) }
        sim.run(for: .seconds(1))
        let delivered = sim.node(1)!.pings.count
        #expect(delivered > 620 && delivered < 780)
    }

    @Test func duplicationDeliversEveryMessageTwice() {
        var sim = Simulator<ProbeNode>(seed: 6, nodeIDs: [0, 1], network: NetworkConditions(duplicationPerMillion: 1_000_000))
        for value in 0..<20 { sim.ping(value, from: 0, to: 1) }
        sim.run(for: .seconds(1))
        let pings = sim.node(1)!.pings
        #expect(pings.count == 40)
        #expect(Set(pings) == Set(0..<20))
        #expect(pings.sorted() == (0..<20).flatMap { [$0, $0] })
    }

    @Test func changingTheNetworkAppliesToLaterSends() {
        var sim = Simulator<ProbeNode>(seed: 7, nodeIDs: [0, 1], network: Self.fixedLatency)
        sim.setNetwork(NetworkConditions(latencyMin: .milliseconds(50), latencyMax: .milliseconds(50)))
        sim.ping(1, from: 0, to: 1)
        sim.run(for: .seconds(1))
        #expect(sim.node(1)!.received.map(\.trueTime) == [.zero + .milliseconds(50)])
    }
}

@Suite("Simulator: node and disk faults")
struct SimulatorNodeFaultTests {
    @Test func aCrashLosesUnsyncedWritesAndKeepsSyncedOnes() {
        var sim = Simulator<ProbeNode>(seed: 1, nodeIDs: [0], disk: DiskConditions(syncLatencyMin: .milliseconds(5), syncLatencyMax: .milliseconds(5)))
        sim.withNode(0) { node, context in node.write(1, context: &context) }
        sim.run(for: .milliseconds(10))
        #expect(sim.durableState(of: 0) == [1])
        sim.withNode(0) { node, context in node.write(2, context: &context) }
        sim.run(for: .milliseconds(2))
        sim.crash(0)
        #expect(sim.node(0) == nil)
        sim.run(for: .milliseconds(20))
        #expect(sim.durableState(of: 0) == [1])
        sim.restart(0)
        #expect(sim.node(0)?.bootedFrom == [1])
        #expect(sim.node(0)?.values == [1])
    }

    @Test func aNodeThatNeverSyncedRestartsEmpty() {
        var sim = Simulator<ProbeNode>(seed: 2, nodeIDs: [0])
        sim.withNode(0) { node, context in node.write(1, context: &context) }
        sim.crash(0)
        sim.restart(0)
        #expect(sim.node(0)!.bootedFrom == nil)
    }

    @Test func writesSyncInOrderAndEachIsReportedDurable() {
        var sim = Simulator<ProbeNode>(seed: 3, nodeIDs: [0], disk: DiskConditions(syncLatencyMin: .microseconds(1), syncLatencyMax: .milliseconds(10)))
        var tokens: [PersistToken] = []
        for value in 0..<30 {
            sim.withNode(0) { node, context in tokens.append(node.write(value, context: &context)) }
            sim.run(for: .microseconds(200))
        }
        sim.run(for: .seconds(1))
        #expect(sim.node(0)!.durableTokens == tokens)
        #expect(sim.durableState(of: 0) == Array(0..<30))
    }

    @Test func tokensKeepIncreasingAcrossRestarts() {
        var sim = Simulator<ProbeNode>(seed: 4, nodeIDs: [0])
        var first = PersistToken(rawValue: 0)
        var second = PersistToken(rawValue: 0)
        sim.withNode(0) { node, context in first = node.write(1, context: &context) }
        sim.crash(0)
        sim.restart(0)
        sim.withNode(0) { node, context in second = node.write(1, context: &context) }
        #expect(second > first)
    }

    @Test func aCrashedNodeReceivesNothingAndItsOldTimersNeverFire() {
        var sim = Simulator<ProbeNode>(seed: 5, nodeIDs: [0, 1])
        sim.withNode(1) { _, context in context.setTimer(TimerID(1), after: .milliseconds(50)) }
        sim.crash(1)
        sim.ping(1, from: 0, to: 1)
        sim.run(for: .milliseconds(10))
        sim.restart(1)
        sim.run(for: .milliseconds(100))
        #expect(sim.node(1)!.received.isEmpty)
        #expect(sim.node(1)!.fired.isEmpty)
        #expect(sim.withNode(0) { _, _ in } == true)
    }

    @Test func aPausedNodeHandlesNothingUntilResumedThenEverythingInOrder() {
        let network = NetworkConditions(latencyMin: .milliseconds(1), latencyMax: .milliseconds(1))
        var sim = Simulator<ProbeNode>(seed: 6, nodeIDs: [0, 1], network: network)
        sim.withNode(1) { _, context in context.setTimer(TimerID(9), after: .milliseconds(10)) }
        sim.pause(1)
        sim.ping(1, from: 0, to: 1)
        sim.ping(2, from: 0, to: 1)
        sim.run(for: .milliseconds(100))
        #expect(sim.node(1)!.received.isEmpty)
        #expect(sim.node(1)!.fired.isEmpty)
        #expect(sim.node(0)!.pongs.isEmpty)
        sim.resume(1)
        sim.run(for: .milliseconds(100))
        let node = sim.node(1)!
        #expect(node.pings == [1, 2])
        #expect(node.received.allSatisfy { $0.trueTime == .zero + .milliseconds(100) })
        #expect(node.fired.map(\.timer) == [TimerID(9)])
        #expect(node.fired[0].trueTime == .zero + .milliseconds(100))
        #expect(sim.node(0)!.pongs == [1, 2])
    }

    @Test func aPausedNodesDiskStillSyncsButItLearnsOnlyOnResume() {
        var sim = Simulator<ProbeNode>(seed: 7, nodeIDs: [0], disk: DiskConditions(syncLatencyMin: .milliseconds(1), syncLatencyMax: .milliseconds(1)))
        sim.withNode(0) { node, context in node.write(1, context: &context) }
        sim.pause(0)
        sim.run(for: .milliseconds(10))
        #expect(sim.durableState(of: 0) == [1])
        #expect(sim.node(0)!.durableTokens.isEmpty)
        sim.resume(0)
        sim.run(for: .milliseconds(1))
        #expect(sim.node(0)!.durableTokens.count == 1)
    }

    @Test func scheduledFaultsHappenAtTheirTime() {
        var sim = Simulator<ProbeNode>(seed: 8, nodeIDs: [0, 1])
        sim.schedule(.crash(1), at: .zero + .milliseconds(30))
        sim.schedule(.restart(1), at: .zero + .milliseconds(60))
        sim.run(until: .zero + .milliseconds(29))
        #expect(sim.isRunning(1))
        sim.run(until: .zero + .milliseconds(30))
        #expect(!sim.isRunning(1))
        sim.run(until: .zero + .milliseconds(60))
        #expect(sim.isRunning(1))
    }
}

@Suite("Simulator: clock faults")
struct SimulatorClockFaultTests {
    func readings(_ sim: inout Simulator<ProbeNode>, _ id: NodeID) -> (local: SimulationInstant, trueTime: SimulationInstant) {
        var result = (local: SimulationInstant.zero, trueTime: SimulationInstant.zero)
        sim.withNode(id) { _, context in result = (context.now, context.trueTime) }
        return result
    }

    @Test func skewDriftAndJumpsShowThroughNowButNotTrueTime() {
        var sim = Simulator<ProbeNode>(seed: 1, nodeIDs: [0, 1])
        sim.setClock(0, skew: .milliseconds(50), driftPerMillion: 1_000)
        var reading = readings(&sim, 0)
        #expect(reading.local == .zero + .milliseconds(50))
        #expect(reading.trueTime == .zero)
        sim.run(until: .zero + .seconds(1))
        reading = readings(&sim, 0)
        #expect(reading.trueTime == .zero + .seconds(1))
        #expect(reading.local == .zero + .milliseconds(1_051))
        sim.jumpClock(0, by: .milliseconds(-200))
        reading = readings(&sim, 0)
        #expect(reading.local == .zero + .milliseconds(851))
        #expect(reading.trueTime == .zero + .seconds(1))
        // Another node's clock is untouched.
        #expect(readings(&sim, 1).local == .zero + .seconds(1))
    }

    @Test func aDriftingClocksTimersFireByItsOwnReckoning() {
        var sim = Simulator<ProbeNode>(seed: 2, nodeIDs: [0])
        sim.setClock(0, skew: .zero, driftPerMillion: 100_000)
        sim.withNode(0) { _, context in context.setTimer(TimerID(1), after: .milliseconds(110)) }
        sim.run(for: .seconds(1))
        let fired = sim.node(0)!.fired
        #expect(fired.map(\.trueTime) == [.zero + .milliseconds(100)])
        #expect(fired.map(\.localTime) == [.zero + .milliseconds(110)])
    }

    @Test func aBackwardJumpCanMakeTheLocalClockRunBackwards() {
        var sim = Simulator<ProbeNode>(seed: 3, nodeIDs: [0])
        sim.run(until: .zero + .milliseconds(100))
        let before = readings(&sim, 0).local
        sim.jumpClock(0, by: .milliseconds(-300))
        let after = readings(&sim, 0).local
        #expect(after < before)
        #expect(after == .zero + .milliseconds(-200))
        #expect(sim.localTime(of: 0) == after)
    }
}
