import ConcordFoundation
import ConcordPaxos
import ConcordSimulation
import Testing
@testable import ConcordLab

@Suite struct PaxosLabTests {
    @Test func theSafetyMonitorReportsTwoValuesInASlot() {
        let monitor = PaxosSafetyMonitor()
        monitor.observeChosen(slot: 3, value: [1], by: 1)
        monitor.observeChosen(slot: 3, value: [1], by: 2)
        monitor.observeChosen(slot: 4, value: [2], by: 2)
        #expect(monitor.violations.isEmpty && monitor.highestSlot == 4)
        monitor.observeChosen(slot: 3, value: [9], by: 3)
        #expect(monitor.violations.count == 1 && monitor.violations[0].contains("slot 3"))
        monitor.observeTolerated(["x"], by: 2)
        monitor.observeTolerated(["x"], by: 2)
        #expect(monitor.violations.count == 2)
    }

    @Test func batchesOfCommandsRoundTripAndGarbageIsRefused() throws {
        let commands = [
            PaxosLabKVCommand(clientID: 1, sequence: 1, operation: .put(key: "k", value: "v")),
            PaxosLabKVCommand(clientID: 2, sequence: 7, operation: .get(key: "k")),
        ]
        #expect(try PaxosLabCommands.decode(PaxosLabCommands.encode(commands)) == commands)
        #expect(try PaxosLabCommands.decode([]) == [])
        #expect(throws: BinaryDecodingError.self) { try PaxosLabCommands.decode([2, 1]) }
    }

    @Test func quorumDrawsIntersectUnlessTheBugAsksOtherwise() {
        var random = SeededRandom(seed: 5)
        for _ in 0..<200 {
            let count = random.chance(perMillion: 500_000) ? 3 : 5
            if let sizes = PaxosLabQuorums.draw(servers: count, bug: nil, random: &random) {
                #expect(sizes.phaseOne + sizes.phaseTwo > count)
            }
            let broken = PaxosLabQuorums.draw(servers: count, bug: .nonIntersectingQuorums, random: &random)!
            #expect(broken.phaseOne + broken.phaseTwo == count && broken.phaseOne >= 1 && broken.phaseTwo >= 1)
        }
        #expect(PaxosLabQuorums.needsEveryServer((4, 2), servers: 5))
        #expect(!PaxosLabQuorums.needsEveryServer((3, 3), servers: 5))
    }

    @Test func healingEveryServerRestartsTheCrashedAndResumesThePaused() {
        var plan = FaultPlan.random(seed: 3, nodes: [1, 2, 3], safetyPhase: .milliseconds(100), limits: FaultLimits())
        plan.faults = [(.zero, .crash(1)), (.zero, .pause(2)), (.zero, .crash(3)), (.zero, .restart(3))]
        PaxosLabRun.healEveryServer(&plan, at: .zero + .milliseconds(100))
        var restarted: [NodeID] = []
        var resumed: [NodeID] = []
        for (_, fault) in plan.faults.dropFirst(4) {
            switch fault {
            case .restart(let node): restarted.append(node)
            case .resume(let node): resumed.append(node)
            default: Issue.record("unexpected fault \(fault)")
            }
        }
        #expect(restarted == [1] && resumed == [2])
    }

    /// Fast Paxos wins alone (two message delays to the coordinator) and
    /// collides once clients contend.
    @Test func fastPaxosDecidesInFastRoundsAloneAndCollidesUnderContention() {
        let alone = ConsensusComparison.measureSteady(.fastPaxos, seed: 1, clients: 1)
        #expect(alone.fastDecisions > 100 && alone.collisions == 0)
        let contended = ConsensusComparison.measureSteady(.fastPaxos, seed: 1, clients: 8)
        #expect(contended.collisions > 10)
        #expect(contended.operations > 0)
    }
}
