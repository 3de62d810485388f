import ConcordChecker
import ConcordKV
import ConcordSimulation
import Testing
@testable import ConcordLab

@Suite("MVCC store over Raft")
struct KVRaftTests {
    /// Seeds every sweep runs.
    static let sweepSeeds: ClosedRange<UInt64> = 1...12

    @Test("a sweep of seeds under swarm faults gives linearizable histories, live clusters, agreeing replicas and MVCC compactions")
    func sweepPasses() {
        var operations = 0
        var compactions = 0
        for seed in Self.sweepSeeds {
            let report = MVCCRaftScenario.execute(seed: seed, bug: nil, recordsTrace: false)
            #expect(report.passed, "\(report.verdict)")
            #expect(report.operations >= 10, "seed \(seed) ran too few operations: \(report.verdict)")
            operations += report.operations
            compactions += report.compactions
        }
        #expect(operations > 300)
        #expect(compactions > 0)
    }

    /// Seeds each known bug runs on.
    static let bugSeeds: ClosedRange<UInt64> = 1...8
    /// Of those, at least this many must catch the bug (all do when this
    /// was written).
    static let bugCatchesMin = 6

    @Test("a broken store (stale ranges, or transactions ignoring their compares) is caught in most seeds", arguments: MVCCLabBug.allCases)
    func bugCaught(_ bug: MVCCLabBug) {
        let caught = Self.bugSeeds.filter { seed in
            !MVCCRaftScenario.execute(seed: seed, bug: bug, recordsTrace: false).passed
        }
        #expect(caught.count >= Self.bugCatchesMin, "\(bug.rawValue) caught only in seeds \(caught)")
    }

    @Test("the same seed gives the same trace")
    func deterministic() {
        let first = MVCCRaftScenario.execute(seed: 7, bug: nil, recordsTrace: false)
        let second = MVCCRaftScenario.execute(seed: 7, bug: nil, recordsTrace: false)
        #expect(first.traceHash == second.traceHash)
        #expect(first.verdict == second.verdict)
    }

    @Test("the scenario is registered and refuses an unknown bug by name")
    func registered() {
        let scenario = Scenarios.named("raft-mvcc")
        #expect(scenario != nil)
        let result = scenario?.run(ScenarioOptions(seed: 1, bug: "no-such-bug"))
        #expect(result?.passed == false)
        #expect(result?.verdict.contains("kv-stale-range") == true)
        let broken = scenario?.run(ScenarioOptions(seed: 1, bug: "kv-stale-range"))
        #expect(broken?.passed == false)
        #expect(broken?.verdict.contains("replay: concord sim raft-mvcc --seed 1 --bug kv-stale-range") == true)
    }

    @Test("the lab's state machine snapshot restores sessions and store")
    func stateMachineSnapshot() throws {
        var machine = MVCCStateMachine(bug: nil)
        let put = MVCCLabEntry(clientID: 5, sequence: 1, command: .put(PutRequest(key: Array("k".utf8), value: Array("v".utf8))))
        #expect(machine.apply(put) == .written(succeeded: true))
        let refused = MVCCLabEntry(clientID: 6, sequence: 3, command: .put(PutRequest(key: Array("k".utf8), lease: 9)))
        #expect(machine.apply(refused) == .refused(.leaseNotFound))
        let restored = try MVCCStateMachine(snapshot: machine.snapshot(), bug: nil)
        #expect(restored.store == machine.store)
        #expect(restored.sessions == machine.sessions)
        // A retried write is answered from the session and not applied again.
        var again = restored
        #expect(again.apply(put) == .written(succeeded: true))
        #expect(again.store.currentRevision == machine.store.currentRevision)
        let entryBytes = put.encoded()
        #expect(try MVCCLabEntry(decoding: entryBytes) == put)
        #expect(throws: KVDecodingError.self) { try MVCCLabEntry(decoding: Array(entryBytes.prefix(10))) }
    }
}
