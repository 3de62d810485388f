import Testing
import PropertyBased
import ConcordChecker

@Suite struct RandomizedLinearizabilityTests {
    static let budget = CheckBudget.steps(2_000_000)

    /// The history with one `ok` read changed to a value never written to
    /// its key: no order of any kind can explain it.
    static func withImpossibleRead(_ events: [HistoryEvent], choosing pick: UInt64) throws -> (events: [HistoryEvent], read: Int)? {
        let history = try History(events)
        let reads = history.operations.filter { $0.function == .get && $0.outcome == .ok }
        guard !reads.isEmpty else { return nil }
        let read = reads[Int(pick % UInt64(reads.count))]
        var mutated = events
        mutated[read.completionIndex!].value = "never written"
        return (mutated, read.id)
    }

    @Test func historiesFromACorrectStoreAreLinearizable() throws {
        for seed in UInt64(0)..<150 {
            let shape = RandomKVHistory.Shape(
                operations: 20 + Int(seed % 7) * 20, keys: 1 + Int(seed % 3), processes: 2 + Int(seed % 6), infoPerMille: 50)
            let history = try History(RandomKVHistory.events(shape, seed: seed))
            let verdict = checkLinearizability(history, budget: Self.budget)
            #expect(verdict == .linearizable, "seed \(seed): \(verdict)")
        }
    }

    /// Why `order` (operation ids of one key) is not a linearization, or
    /// `nil` if it is: every `ok` operation must appear once, each step must
    /// be legal in the kv model, and no operation may come before one that
    /// completed before it was invoked.
    static func linearizationProblem(_ order: [Int], of key: String, in history: History) -> String? {
        let required = Set(history.operations.filter { $0.key == key && $0.outcome == .ok }.map(\.id))
        guard Set(order).isSuperset(of: required) else { return "missing \(required.subtracting(order).sorted())" }
        guard Set(order).count == order.count else { return "an operation appears twice" }
        var latestInvoke = (index: -1, id: -1)
        for id in order {
            let operation = history.operations[id]
            if operation.outcome == .ok, let completion = operation.completionIndex, completion < latestInvoke.index {
                return "operation \(id) completed before operation \(latestInvoke.id), placed before it, was invoked"
            }
            if operation.invokeIndex > latestInvoke.index { latestInvoke = (operation.invokeIndex, id) }
        }
        var value: String? = nil
        for id in order {
            let operation = history.operations[id]
            switch operation.function {
            case .get:
                if operation.outcome == .ok, operation.result != value { return "operation \(id) reads \(operation.result ?? "nil") in state \(value ?? "nil")" }
            case .put: value = operation.value
            case .delete: value = nil
            case .cas:
                if value == operation.expected { value = operation.value } else if operation.outcome == .ok { return "cas \(id) cannot swap" }
            }
        }
        return nil
    }

    @Test func linearizationValidatorRejectsBadOrders() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(1, .put, "x", "2")
        script.run(0, .get, "x", read: "2")
        let history = try script.history()
        #expect(Self.linearizationProblem([0, 1, 2], of: "x", in: history) == nil)
        #expect(Self.linearizationProblem([1, 0, 2], of: "x", in: history) != nil)
        #expect(Self.linearizationProblem([0, 2, 1], of: "x", in: history) != nil)
        #expect(Self.linearizationProblem([0, 1], of: "x", in: history) != nil)
    }

    @Test func linearizationsFoundAreLegalAndRespectRealTime() throws {
        for seed in UInt64(200)..<260 {
            let shape = RandomKVHistory.Shape(operations: 120, keys: 2, processes: 2 + Int(seed % 7), infoPerMille: 80)
            let history = try History(RandomKVHistory.events(shape, seed: seed))
            let analysis = analyzeLinearizability(history, budget: Self.budget)
            #expect(analysis.verdict == .linearizable, "seed \(seed)")
            for partition in analysis.partitions {
                let order = try #require(partition.linearization)
                let problem = Self.linearizationProblem(order, of: partition.key!, in: history)
                #expect(problem == nil, "seed \(seed), key \(partition.key!)")
            }
        }
    }

    @Test func aReadOfAValueNeverWrittenIsAlwaysCaught() throws {
        var checked = 0
        for seed in UInt64(0)..<150 {
            let shape = RandomKVHistory.Shape(
                operations: 20 + Int(seed % 7) * 20, keys: 1 + Int(seed % 3), processes: 2 + Int(seed % 6), infoPerMille: 50)
            guard let (events, read) = try Self.withImpossibleRead(RandomKVHistory.events(shape, seed: seed), choosing: seed &* 7919) else { continue }
            let verdict = checkLinearizability(try History(events), budget: Self.budget)
            guard case .notLinearizable(let failure) = verdict else {
                Issue.record("seed \(seed): mutated read \(read) was not caught: \(verdict)")
                continue
            }
            #expect(failure.blockedOperation == read, "seed \(seed)")
            checked += 1
        }
        #expect(checked > 100)
    }

    @Test func propertyCorrectStoreIsLinearizableAndAnImpossibleReadIsNot() async {
        await propertyCheck(count: 60, input: Gen.uint64(), Gen.int(in: 1...40), Gen.int(in: 1...6)) { seed, operations, processes in
            let shape = RandomKVHistory.Shape(operations: operations, keys: 2, processes: processes, infoPerMille: 100)
            let events = RandomKVHistory.events(shape, seed: seed)
            #expect(try checkLinearizability(History(events), budget: Self.budget) == .linearizable)
            if let (mutated, _) = try Self.withImpossibleRead(events, choosing: seed) {
                #expect(!(try checkLinearizability(History(mutated), budget: Self.budget).isLinearizable))
            }
        }
    }

    @Test func parallelCheckGivesTheSequentialVerdict() async throws {
        for seed in UInt64(0)..<20 {
            let shape = RandomKVHistory.Shape(operations: 200, keys: 8, processes: 6)
            var events = RandomKVHistory.events(shape, seed: seed)
            if seed % 2 == 1, let (mutated, _) = try Self.withImpossibleRead(events, choosing: seed) { events = mutated }
            let history = try History(events)
            let sequential = analyzeLinearizability(history, budget: Self.budget)
            let parallel = await analyzeLinearizabilityInParallel(history, budget: Self.budget, width: 3)
            #expect(sequential.verdict == parallel.verdict, "seed \(seed)")
            #expect(parallel.partitions.count == Set(history.operations.map(\.key)).count)
        }
    }

    @Test func generatedHistoriesAreReproducibleFromTheirSeed() {
        let shape = RandomKVHistory.Shape(operations: 100, keys: 3, processes: 4)
        #expect(RandomKVHistory.events(shape, seed: 9) == RandomKVHistory.events(shape, seed: 9))
        #expect(RandomKVHistory.events(shape, seed: 9) != RandomKVHistory.events(shape, seed: 10))
    }

    @Test func singleKeyHistoryWithSixteenProcessesIsDecidedWithinBudget() throws {
        let shape = RandomKVHistory.Shape(operations: 300, keys: 1, processes: 16)
        let history = try History(RandomKVHistory.events(shape, seed: 1))
        #expect(checkLinearizability(history, budget: .steps(5_000_000)) == .linearizable)
    }
}
