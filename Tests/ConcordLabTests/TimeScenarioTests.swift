import ConcordSimulation
import Testing
@testable import ConcordLab

@Suite("Time scenarios: clock sync, causality, hybrid clocks, commit wait")
struct TimeScenarioTests {
    /// The seeds a CI sweep runs for each scenario.
    static let sweepSeeds: UInt64 = 500
    static let names = ["clock-sync", "causality", "hlc", "commit-wait"]

    /// Every bug switch with the number of seeds from 1 within which a sweep
    /// must catch it.
    static let bugs: [(scenario: String, bug: String, seedsMax: UInt64)] = [
        ("clock-sync", "lowest-offset", 50),
        ("clock-sync", "skip-intersection", 20),
        ("causality", "lamport-no-max", 20),
        ("causality", "vector-no-merge", 20),
        ("causality", "vector-receive-no-tick", 20),
        ("hlc", "no-receive-merge", 20),
        ("hlc", "no-offset-bound", 20),
        ("hlc", "physical-after-jump", 50),
        ("commit-wait", "no-commit-wait", 20),
        ("commit-wait", "small-epsilon", 20),
        ("commit-wait", "earliest-timestamp", 20),
    ]

    @Test(arguments: names)
    func theScenarioSweepsClean(_ name: String) {
        let scenario = Scenarios.named(name)!
        let failing = Sweep.run(seeds: 1..<(1 + Self.sweepSeeds), failuresMax: 3) { seed in
            let result = scenario.run(ScenarioOptions(seed: seed))
            if !result.passed { Issue.record("\(name) seed \(seed): \(result.verdict)") }
            return result.passed
        }
        #expect(failing.isEmpty)
    }

    @Test(arguments: bugs.map { "\($0.scenario) \($0.bug) \($0.seedsMax)" })
    func theSweepCatchesTheBug(_ line: String) {
        let parts = line.split(separator: " ").map(String.init)
        let scenario = Scenarios.named(parts[0])!
        let failing = Sweep.run(seeds: 1..<(1 + UInt64(parts[2])!), failuresMax: 1) { seed in
            scenario.run(ScenarioOptions(seed: seed, bug: parts[1])).passed
        }
        #expect(failing.count == 1, "\(parts[0]) --bug \(parts[1]) was not caught in \(parts[2]) seeds")
    }

    @Test(arguments: names)
    func aSeedReplaysToTheSameTraceWithOrWithoutARecording(_ name: String) {
        let scenario = Scenarios.named(name)!
        let first = scenario.run(ScenarioOptions(seed: 42, recordTimeline: true))
        let second = scenario.run(ScenarioOptions(seed: 42, recordEvents: true))
        #expect(first.traceHash == second.traceHash)
        #expect(first.verdict == second.verdict)
        #expect(!first.timeline.isEmpty)
        #expect(first.recording == nil)
        #expect(second.recording != nil)
        #expect(scenario.run(ScenarioOptions(seed: 42, bug: "no-such-bug")).verdict.contains("unknown bug"))
    }

    @Test func lamportStampsOrderConcurrentPairsThatVectorClocksKeepApart() {
        let result = Scenarios.named("causality")!.run(ScenarioOptions(seed: 5, recordTimeline: true))
        #expect(result.passed, "\(result.verdict)")
        #expect(result.timeline.contains { $0.hasPrefix("Lamport orders, but concurrent:") })
    }

    @Test func physicalTimestampsLoseCausallyLaterWritesAndHybridOnesDoNot() {
        var lost = 0
        for seed: UInt64 in 1...40 {
            let measurement = HybridClockScenario.run(ScenarioOptions(seed: seed))
            #expect(measurement.result.passed, "seed \(seed): \(measurement.result.verdict)")
            if measurement.physicalLostWrites > 0 { lost += 1 }
        }
        #expect(lost > 0, "no seed showed physical-time LWW losing a causally later write")
    }

    @Test func commitWaitCostsAboutTwiceEpsilon() {
        for epsilon: Int64 in [1, 10] {
            var waits: [Int64] = []
            for seed: UInt64 in 1...5 {
                let measurement = CommitWaitScenario.run(ScenarioOptions(seed: seed), epsilon: epsilon * 1_000_000)
                #expect(measurement.result.passed, "\(measurement.result.verdict)")
                waits += measurement.waits
            }
            let mean = Double(waits.reduce(0, +)) / Double(waits.count) / Double(epsilon * 1_000_000)
            #expect(mean > 1.9 && mean < 2.5, "ε \(epsilon) ms: mean wait \(mean)ε")
        }
    }

    @Test func theFalsetickerIsVotedOutAndSkippingTheIntersectionLetsItDragTheClock() {
        // Seed 1 has a falseticker (three seeds in four do).
        let seed = (1...20 as ClosedRange<UInt64>).first { seed in
            ClockSyncScenario.run(ScenarioOptions(seed: seed)).result.verdict.contains("falseticker")
        }!
        let correct = ClockSyncScenario.run(ScenarioOptions(seed: seed))
        #expect(correct.result.passed)
        #expect(correct.result.verdict.contains("the falseticker was voted out"))
        let broken = ClockSyncScenario.run(ScenarioOptions(seed: seed, bug: "skip-intersection"))
        #expect(!broken.result.passed)
        #expect((broken.errors.max() ?? 0) > 50_000_000, "the falseticker should drag the clock by tens of milliseconds")
    }
}
