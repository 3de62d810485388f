import Testing
import ConcordSimulation

@Suite("Simulator: messages, timers and ordering")
struct SimulatorDeliveryTests {
    @Test func aPingIsDeliveredWithinTheLatencyBoundsAndAnswered() {
        var sim = Simulator<ProbeNode>(seed: 1, nodeIDs: [0, 1], network: NetworkConditions(latencyMin: .milliseconds(2), latencyMax: .milliseconds(4)))
        sim.ping(7, from: 0, to: 1)
        sim.run(until: .zero + .seconds(1))
        let received = sim.node(1)!.received
        #expect(received.map(\.message) == [.ping(7)])
        #expect(received[0].from == 0)
        #expect(received[0].trueTime >= .zero + .milliseconds(2))
        #expect(received[0].trueTime <= .zero + .milliseconds(4))
        #expect(sim.node(0)!.pongs == [7])
    }

    @Test func equalLatencyKeepsEachLinkInSendingOrder() {
        var sim = Simulator<ProbeNode>(seed: 2, nodeIDs: [0, 1], network: NetworkConditions(latencyMin: .milliseconds(3), latencyMax: .milliseconds(3)))
        for value in 0..<50 { sim.ping(value, from: 0, to: 1) }
        sim.run(until: .zero + .seconds(1))
        #expect(sim.node(1)!.pings == Array(0..<50))
    }

    @Test func reorderingLetsLaterMessagesOvertakeEarlierOnes() {
        let network = NetworkConditions(latencyMin: .milliseconds(3), latencyMax: .milliseconds(3), reorderPerMillion: 300_000)
        var sim = Simulator<ProbeNode>(seed: 3, nodeIDs: [0, 1], network: network)
        for value in 0..<100 { sim.ping(value, from: 0, to: 1) }
        sim.run(until: .zero + .seconds(1))
        let pings = sim.node(1)!.pings
        #expect(pings.sorted() == Array(0..<100))
        #expect(pings != Array(0..<100))
    }

    @Test func aTimerFiresAfterItsDelayAndReArmingReplacesIt() {
        var sim = Simulator<ProbeNode>(seed: 4, nodeIDs: [0])
        sim.withNode(0) { _, context in
            context.setTimer(TimerID(1), after: .milliseconds(10))
            context.setTimer(TimerID(1), after: .milliseconds(30))
            context.setTimer(TimerID(2), after: .milliseconds(20))
            context.setTimer(TimerID(3), after: .milliseconds(5))
            context.cancelTimer(TimerID(3))
        }
        sim.run(until: .zero + .seconds(1))
        let fired = sim.node(0)!.fired
        #expect(fired.map(\.timer) == [TimerID(2), TimerID(1)])
        #expect(fired.map(\.trueTime) == [.zero + .milliseconds(20), .zero + .milliseconds(30)])
    }

    @Test func eventsAtTheSameTimeRunInTheOrderTheyWereScheduled() {
        var sim = Simulator<ProbeNode>(seed: 5, nodeIDs: [0])
        sim.withNode(0) { _, context in
            for timer in [UInt64(5), 3, 9, 1, 7] {
                context.setTimer(TimerID(timer), after: .milliseconds(10))
            }
        }
        sim.run(until: .zero + .seconds(1))
        #expect(sim.node(0)!.fired.map(\.timer.rawValue) == [5, 3, 9, 1, 7])
    }

    @Test func runUntilStopsWhenTheConditionFails() {
        var sim = Simulator<ProbeNode>(seed: 6, nodeIDs: [0, 1])
        for value in 0..<10 { sim.ping(value, from: 0, to: 1) }
        sim.run(until: .zero + .seconds(1)) { sim in sim.node(1)!.pings.count < 3 }
        #expect(sim.node(1)!.pings.count == 3)
        #expect(sim.now < .zero + .seconds(1))
    }

    @Test func runUntilAdvancesTheClockToTheDeadline() {
        var sim = Simulator<ProbeNode>(seed: 6, nodeIDs: [0])
        sim.run(until: .zero + .seconds(2))
        #expect(sim.now == .zero + .seconds(2))
        #expect(sim.step() == false)
    }
}
