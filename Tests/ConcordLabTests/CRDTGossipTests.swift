import ConcordSimulation
import Testing

@testable import ConcordLab

@Suite struct CRDTGossipTests {
    /// The convergence sweep covers seeds 0..<50, in five slices that run in parallel.
    static let sweepSliceSeedCount: UInt64 = 10

    @Test(arguments: 0..<5)
    func replicasConvergeToTheAcknowledgedTotalsAcrossASweepOfSeeds(slice: Int) {
        let first = UInt64(slice) * Self.sweepSliceSeedCount
        var verdicts: [UInt64: String] = [:]
        let failing = Sweep.run(seeds: first..<first + Self.sweepSliceSeedCount) { seed in
            let run = CRDTGossip.run(seed: seed)
            verdicts[seed] = run.verdict
            return run.failures.isEmpty
        }
        #expect(
            failing.isEmpty,
            "failing seeds \(failing): \(failing.prefix(3).map { "\(verdicts[$0]!) (replay: concord sim crdt-gossip --seed \($0))" })")
    }

    @Test func aBrokenCounterMergeIsCaughtByTheSweep() {
        let failing = Sweep.run(seeds: 0..<10) { seed in
            CRDTGossip.run(seed: seed, bug: "counter-merge-sum").failures.isEmpty
        }
        // Adding instead of taking the maximum inflates the counter as soon
        // as a replica hears of an increment twice, which gossip guarantees.
        #expect(failing.count == 10)
        let run = CRDTGossip.run(seed: 3, bug: "counter-merge-sum")
        #expect(run.failures.contains { $0.contains("G-Counter") })
    }

    @Test func gossipingChangesBeforeTheyAreDurableIsCaughtByTheSweep() {
        // A replica that gossips an update, crashes before syncing it and
        // restarts knows less of its own history than its peers: it would
        // mint dots and count increments they already hold.
        let failing = Sweep.run(seeds: 0..<20) { seed in
            CRDTGossip.run(seed: seed, bug: "gossip-before-durable").failures.isEmpty
        }
        #expect(!failing.isEmpty)
        let run = CRDTGossip.run(seed: 1, bug: "gossip-before-durable")
        #expect(run.failures.contains { $0.contains("knows more of") })
        #expect(CRDTGossip.run(seed: 1).failures.isEmpty)
    }

    @Test func theSameSeedGivesTheSameTrace() {
        let first = CRDTGossip.run(seed: 42)
        let second = CRDTGossip.run(seed: 42)
        #expect(first.traceHash == second.traceHash)
        #expect(first.deltaBytes == second.deltaBytes)
        #expect(CRDTGossip.run(seed: 43).traceHash != first.traceHash)
    }

    @Test func deltasShipFewerBytesThanFullStates() {
        let deltas = CRDTGossip.run(seed: 7, mode: .deltas)
        let full = CRDTGossip.run(seed: 7, mode: .fullStates)
        #expect(deltas.failures.isEmpty)
        #expect(full.failures.isEmpty)
        #expect(deltas.deltaBytes + deltas.fullStateBytes < full.fullStateBytes)
    }

    @Test func theScenarioIsRegisteredAndRejectsUnknownBugs() {
        let scenario = Scenarios.named("crdt-gossip")
        #expect(scenario != nil)
        let result = scenario?.run(ScenarioOptions(seed: 1, bug: "no-such-bug"))
        #expect(result?.passed == false)
        #expect(scenario?.run(ScenarioOptions(seed: 1)).passed == true)
    }
}
