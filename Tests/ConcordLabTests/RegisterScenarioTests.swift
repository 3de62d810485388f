import ConcordChecker
import ConcordSimulation
import Testing
@testable import ConcordLab

@Suite("Register scenarios: simulate, record, check, report the seed")
struct RegisterScenarioTests {
    static let flawed = Scenarios.named("register")!
    static let safe = Scenarios.named("register-safe")!

    /// The flawed register's first failing seed from 1 is 13; allowing 50
    /// seeds leaves room for harmless changes to the scenario.
    static let flawedSeedsToFailure: UInt64 = 50
    /// The safe register must survive at least this many seeds.
    static let safeSeeds: UInt64 = 100

    @Test func aSweepFindsAFailingSeedOfTheFlawedRegister() {
        let failing = Sweep.run(seeds: 1..<(1 + Self.flawedSeedsToFailure), failuresMax: 1) { seed in
            Self.flawed.run(ScenarioOptions(seed: seed)).passed
        }
        #expect(failing.count == 1)
    }

    @Test func theFlawedRegistersFailureIsALinearizabilityViolation() {
        let outcome = RegisterScenario.simulate(ScenarioOptions(seed: 13), replication: .asynchronous)
        #expect(!outcome.result.passed)
        guard case .notLinearizable(let failure) = outcome.linearizability else {
            Issue.record("expected a violation, got \(String(describing: outcome.linearizability))")
            return
        }
        #expect(!failure.explanation.isEmpty)
        #expect(outcome.result.verdict.hasPrefix("not linearizable"))
        #expect(!outcome.result.verdict.contains("\n"))
    }

    @Test func theSafeRegisterPassesASweepOfAHundredSeeds() {
        var progressCalls = 0
        let failing = Sweep.run(seeds: 1..<(1 + Self.safeSeeds), progress: { _, _ in progressCalls += 1 }) { seed in
            let result = Self.safe.run(ScenarioOptions(seed: seed))
            if !result.passed { Issue.record("seed \(seed): \(result.verdict)") }
            return result.passed
        }
        #expect(failing.isEmpty)
        #expect(progressCalls == Int(Self.safeSeeds))
    }

    @Test func theSafeRegisterSurvivesFailoversWithOperationsOfEveryKind() {
        let outcome = RegisterScenario.simulate(ScenarioOptions(seed: 13, recordTimeline: true), replication: .synchronous)
        #expect(outcome.result.passed, "\(outcome.result.verdict)")
        #expect(outcome.result.timeline.contains { $0.contains("(n0 is silent)") })
        let operations = outcome.history?.operations ?? []
        #expect(operations.count > 50)
        #expect(operations.contains { $0.outcome == .ok && $0.function == .get && $0.result != nil })
        #expect(operations.contains { $0.outcome == .ok && $0.function == .put })
        #expect(operations.contains { $0.outcome == .info })
        #expect(outcome.clientsWithoutProgress.isEmpty)
    }

    @Test func aFailingSeedReplaysToTheSameTraceHash() {
        let first = Self.flawed.run(ScenarioOptions(seed: 13))
        let replay = Self.flawed.run(ScenarioOptions(seed: 13, recordTimeline: true))
        #expect(!first.passed && !replay.passed)
        #expect(first.traceHash == replay.traceHash)
        #expect(first.verdict == replay.verdict)
        #expect(Self.flawed.run(ScenarioOptions(seed: 14)).traceHash != first.traceHash)
    }

    @Test func theLocalReadsBugIsCaughtAndItsSeedPassesWithoutTheBug() {
        // Unfenced reads go stale only when a client that has not heard of a
        // failover reads from the deposed primary after a write on the new
        // one: far rarer than the asynchronous flaw. A sweep of the first
        // 3,000 seeds finds one, seed 2052; this test sweeps around it.
        let failing = Sweep.run(seeds: 2_048..<2_056) { seed in
            Self.safe.run(ScenarioOptions(seed: seed, bug: "local-reads")).passed
        }
        #expect(failing == [2_052])
        #expect(Self.safe.run(ScenarioOptions(seed: 2_052)).passed)
    }

    @Test func theLivenessCheckCatchesAPrimaryThatNeverRetransmits() {
        // A lost replicate stalls the pipeline for good; the first failing
        // seed from 1 is 3, and 26 of the first 100 fail.
        let failing = Sweep.run(seeds: 1..<21, failuresMax: 1) { seed in
            Self.safe.run(ScenarioOptions(seed: seed, bug: "no-retransmit")).passed
        }
        #expect(failing.count == 1)
        let outcome = RegisterScenario.simulate(ScenarioOptions(seed: failing.first ?? 3), replication: .synchronous, retransmits: false)
        #expect(outcome.linearizability == .linearizable)
        #expect(!outcome.clientsWithoutProgress.isEmpty)
        #expect(outcome.result.verdict.contains("no progress within 1000 ms of healing"))
    }

    @Test func anUnknownBugIsRefusedWithAClearVerdict() {
        let result = Self.safe.run(ScenarioOptions(seed: 1, bug: "no-such-bug"))
        #expect(!result.passed)
        #expect(result.verdict.contains("unknown bug 'no-such-bug'"))
        #expect(!Self.flawed.run(ScenarioOptions(seed: 1, bug: "local-reads")).passed)
    }

    @Test func theTimelineShowsThePlanFaultsAndClientOperationsOnlyWhenAsked() {
        let quiet = Self.flawed.run(ScenarioOptions(seed: 13))
        let shown = Self.flawed.run(ScenarioOptions(seed: 13, recordTimeline: true))
        #expect(quiet.timeline.isEmpty)
        #expect(shown.timeline.first?.hasPrefix("seed 13: faults") == true)
        #expect(shown.timeline.contains { $0.contains(" fault partition ") })
        #expect(shown.timeline.contains { $0.contains(" n3: p") && $0.contains("(invoked ") })
        #expect(!shown.timeline.contains { $0.contains("->") })
    }

    @Test func simultaneousEventsPutInvocationsBeforeCompletions() {
        let context = Self.clientContext()
        var first = Self.client(index: 0, context: context)
        var second = Self.client(index: 1, context: context)
        let put = first.history.invoke(process: 0, .put(key: "x", value: "1"), at: .zero + .milliseconds(1))
        first.history.complete(put, .ok(nil), at: .zero + .milliseconds(5))
        _ = second.history.invoke(process: 1, .get(key: "x"), at: .zero + .milliseconds(5))
        let events = RegisterScenario.historyEvents([first, second])
        #expect(events.map(\.kind) == [.invoke, .invoke, .ok])
        #expect(events.map(\.process) == [0, 1, 0])
        #expect(events[2].value == "1")
    }

    static func clientContext() -> Simulator<RegisterNode> {
        Simulator<RegisterNode>(seed: 1, nodeIDs: [0, 1, 2, 3, 4], makeNode: { id, durable, context in
            RegisterScenario.makeNode(id, durable: durable, replication: .synchronous, stopAt: .zero, context: &context)
        })
    }

    static func client(index: Int, context: Simulator<RegisterNode>) -> RegisterClient {
        context.node(RegisterScenario.clients[index])!.client!
    }
}
