import Testing
import ConcordSimulation

@Suite("Simulator: the same seed gives the same trace")
struct SimulatorDeterminismTests {
    /// A busy run under every kind of fault, derived from `seed`.
    static func chaoticRun(seed: UInt64) -> Simulator<PingNode> {
        let nodes = [0, 1, 2, 3, 4]
        var sim = Simulator<PingNode>(seed: seed, nodeIDs: nodes)
        let plan = FaultPlan.random(seed: seed, nodes: nodes, safetyPhase: .seconds(2), limits: FaultLimits(faultIntervalMax: .milliseconds(100)))
        plan.schedule(on: &sim)
        sim.run(until: .zero + .seconds(3))
        return sim
    }

    @Test func twoRunsWithTheSameSeedHaveTheSameTraceAndHash() {
        let first = Self.chaoticRun(seed: 17)
        let second = Self.chaoticRun(seed: 17)
        #expect(first.eventsHandled > 1_000)
        #expect(first.trace == second.trace)
        #expect(first.traceHash == second.traceHash)
    }

    @Test func differentSeedsGiveDifferentHashes() {
        let hashes = Set((100..<110).map { Self.chaoticRun(seed: $0).traceHash })
        #expect(hashes.count == 10)
    }

    @Test func theHashIsKeptWhenTheTraceLinesAreNot() {
        var kept = Simulator<PingNode>(seed: 8, nodeIDs: [0, 1, 2])
        var notKept = Simulator<PingNode>(seed: 8, nodeIDs: [0, 1, 2], recordsTrace: false)
        kept.run(until: .zero + .milliseconds(500))
        notKept.run(until: .zero + .milliseconds(500))
        #expect(notKept.trace.isEmpty)
        #expect(!kept.trace.isEmpty)
        #expect(kept.traceHash == notKept.traceHash)
    }

    @Test func theTraceHashIsFNV1aOverTheLines() {
        let sim = Simulator<PingNode>(seed: 9, nodeIDs: [0])
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in sim.trace.joined(separator: "\n").utf8 + [0x0A] {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
        }
        #expect(sim.traceHash == hash)
    }

    @Test func nodeRandomStreamsDeriveFromTheSeed() {
        func firstRounds(seed: UInt64) -> [SimulationInstant] {
            var sim = Simulator<PingNode>(seed: seed, nodeIDs: [0, 1])
            var firings: [SimulationInstant] = []
            while firings.count < 4, sim.step() {
                if sim.trace.last?.hasSuffix("timer1") == true { firings.append(sim.now) }
            }
            return firings
        }
        #expect(firstRounds(seed: 1) == firstRounds(seed: 1))
        #expect(firstRounds(seed: 1) != firstRounds(seed: 2))
    }
}
