import ConcordFoundation
import Testing
@testable import ConcordChecker

@Suite struct IndeterminateWriteTests {
    /// The history with one `ok` read changed to another value written to
    /// the same key (or to absent): sometimes still linearizable, often not.
    static func withOtherRead(_ events: [HistoryEvent], seed: UInt64) throws -> [HistoryEvent] {
        var random = SplitMix64(seed: seed)
        let history = try History(events)
        let reads = history.operations.filter { $0.function == .get && $0.outcome == .ok }
        guard let read = reads.randomElement(using: &random) else { return events }
        let written = history.operations.filter { $0.key == read.key && $0.value != nil }.map(\.value)
        var mutated = events
        mutated[read.completionIndex!].value = (written + [nil]).randomElement(using: &random)!
        return mutated
    }

    /// The verdict of the plain search, without narrowing indeterminate writes.
    static func unsettledVerdict(_ history: History) -> Bool {
        var byKey: [String: [ModelOperation<KVModel.KeyModel>]] = [:]
        for operation in history.operations {
            if let modelOperation: ModelOperation<KVModel.KeyModel> = kvModelOperation(operation) {
                byKey[operation.key, default: []].append(modelOperation)
            }
        }
        return byKey.values.allSatisfy {
            checkLinearizability($0, model: KVModel.KeyModel(), budget: .steps(5_000_000)).isLinearizable
        }
    }

    @Test func narrowingIndeterminateWritesNeverChangesTheVerdict() throws {
        var rejected = 0
        var accepted = 0
        for seed in UInt64(0)..<300 {
            let shape = RandomKVHistory.Shape(operations: 24, keys: 1 + Int(seed % 2), processes: 3 + Int(seed % 3), infoPerMille: 200)
            let events = try Self.withOtherRead(RandomKVHistory.events(shape, seed: seed), seed: seed)
            let history = try History(events)
            let settled = checkLinearizability(history, budget: .steps(5_000_000))
            #expect(settled.isLinearizable == Self.unsettledVerdict(history), "seed \(seed)")
            if settled.isLinearizable { accepted += 1 } else { rejected += 1 }
        }
        #expect(rejected > 30 && accepted > 30, "both verdicts must be exercised: \(accepted) accepted, \(rejected) rejected")
    }

    @Test func unreadIndeterminateWriteIsLeftOutAndAReadOneBecomesRequired() throws {
        var script = HistoryScript()
        script.invoke(0, .put, "x", "1")
        script.info(0)
        script.invoke(1, .put, "x", "2")
        script.info(1)
        script.run(2, .get, "x", read: "2")
        let operations = kvPartitions(try script.history())[0].operations
        #expect(operations.map(\.id) == [1, 2])
        #expect(operations[0].completionPosition == 5)
    }

    @Test func indeterminateWriteOfAValueAnotherWriteAlsoWroteStaysOptional() throws {
        var script = HistoryScript()
        script.invoke(0, .put, "x", "1")
        script.info(0)
        script.run(1, .put, "x", "1")
        script.run(2, .get, "x", read: "1")
        let operations = kvPartitions(try script.history())[0].operations
        #expect(operations.count == 3)
        #expect(operations[0].completionPosition == nil)
    }

    /// The initial absent state is a write of absence too: a read of absence
    /// does not prove that the only `delete` took effect before it.
    @Test func readOfTheInitialAbsenceDoesNotForceAnIndeterminateDelete() throws {
        var script = HistoryScript()
        script.invoke(1, .get, "x")
        script.run(0, .put, "x", "1")
        script.invoke(2, .delete, "x")
        script.ok(1, nil)  // read before the put took effect
        script.run(3, .get, "x", read: "1")  // the delete did not happen (yet)
        script.info(2)
        let history = try script.history()
        #expect(checkLinearizability(history, budget: .steps(100_000)) == .linearizable)
        #expect(Self.unsettledVerdict(history))
    }
}
