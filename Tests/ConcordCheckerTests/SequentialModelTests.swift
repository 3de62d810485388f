import Testing
import ConcordChecker

@Suite struct SequentialModelTests {
    @Test func registerReadsWritesAndComparesAndSets() {
        let model = RegisterModel<Int>()
        #expect(model.step(nil, .read, .read(nil)) == .some(nil))
        #expect(model.step(nil, .read, .read(1)) == nil)
        #expect(model.step(nil, .write(3), .written) == .some(3))
        #expect(model.step(3, .compareAndSet(expected: 3, new: 4), .compareAndSet(swapped: true)) == .some(4))
        #expect(model.step(3, .compareAndSet(expected: 2, new: 4), .compareAndSet(swapped: true)) == nil)
        #expect(model.step(3, .compareAndSet(expected: 2, new: 4), .compareAndSet(swapped: false)) == .some(3))
        #expect(model.step(3, .compareAndSet(expected: 3, new: 4), .compareAndSet(swapped: false)) == nil)
        #expect(model.step(3, .compareAndSet(expected: 3, new: 4), nil) == .some(4))
        #expect(model.step(3, .read, .written) == nil)
        #expect(RegisterModel<Int>(initialValue: 7).initialState == 7)
    }

    @Test func keyValueMapGetsPutsDeletesAndComparesAndSets() {
        let model = KVModel.kv
        let put = KVModel.Input(function: .put, key: "x", value: "1")
        let state = model.step(model.initialState, put, .done)
        #expect(state == ["x": "1"])
        #expect(model.step(["x": "1"], .init(function: .get, key: "x"), .value("1")) == ["x": "1"])
        #expect(model.step(["x": "1"], .init(function: .get, key: "x"), .value("2")) == nil)
        #expect(model.step(["x": "1"], .init(function: .get, key: "y"), .value(nil)) == ["x": "1"])
        #expect(model.step(["x": "1", "y": "2"], .init(function: .delete, key: "x"), .done) == ["y": "2"])
        #expect(model.step(["x": "1"], .init(function: .cas, key: "x", value: "2", expected: "1"), .done) == ["x": "2"])
        #expect(model.step(["x": "1"], .init(function: .cas, key: "x", value: "2", expected: "0"), .done) == nil)
        #expect(model.step(["x": "1"], .init(function: .cas, key: "x", value: "2", expected: "0"), .notSwapped) == ["x": "1"])
        #expect(model.step([:], .init(function: .cas, key: "x", value: "2", expected: nil), .done) == ["x": "2"])
        #expect(model.step(["x": "1"], .init(function: .cas, key: "x", value: "2", expected: "0"), nil) == ["x": "1"])
        #expect(model.step(["x": "1"], .init(function: .put, key: "x", value: "2"), .value("1")) == nil)
    }

    @Test func kvRejectionExplainsTheStaleRead() {
        let text = KVModel.kv.describeRejection(input: .init(function: .get, key: "x"), output: .value("1"), state: ["x": "2"])
        #expect(text == "it read \"1\" but x holds \"2\" at that point")
    }

    @Test func counterAddsAndReads() {
        let model = CounterModel()
        #expect(model.step(0, .add(5), .added) == 5)
        #expect(model.step(5, .add(-2), nil) == 3)
        #expect(model.step(3, .read, .value(3)) == 3)
        #expect(model.step(3, .read, .value(4)) == nil)
        #expect(model.step(Int.max, .add(1), .added) == nil)
    }

    @Test func setInsertsRemovesAndAnswersMembership() {
        let model = SetModel<String>()
        let one = model.step(model.initialState, .insert("a"), .done)
        #expect(one == ["a"])
        #expect(model.step(["a"], .insert("a"), .done) == ["a"])
        #expect(model.step(["a"], .contains("a"), .contains(true)) == ["a"])
        #expect(model.step(["a"], .contains("b"), .contains(true)) == nil)
        #expect(model.step(["a", "b"], .remove("a"), .done) == ["b"])
        #expect(model.step(["b"], .read, .elements(["b"])) == ["b"])
        #expect(model.step(["b"], .read, .elements([])) == nil)
    }

    @Test func queueIsFirstInFirstOut() {
        let model = QueueModel<Int>()
        let two = model.step(model.step([], .enqueue(1), .enqueued)!, .enqueue(2), .enqueued)
        #expect(two == [1, 2])
        #expect(model.step([1, 2], .dequeue, .dequeued(1)) == [2])
        #expect(model.step([1, 2], .dequeue, .dequeued(2)) == nil)
        #expect(model.step([], .dequeue, .dequeued(nil)) == [])
        #expect(model.step([], .dequeue, .dequeued(1)) == nil)
    }

    private func operation<M: SequentialModel>(_ id: Int, _ input: M.Input, _ output: M.Output?, _ invoke: Int, _ complete: Int?, process: Int = 0) -> ModelOperation<M> {
        ModelOperation(id: id, process: process, input: input, output: output, invokePosition: invoke, completionPosition: complete)
    }

    @Test func searchIsGenericOverTheModel() {
        typealias Queue = QueueModel<Int>
        // Two overlapping enqueues may take effect in either order.
        let either: [ModelOperation<Queue>] = [
            operation(0, .enqueue(1), .enqueued, 0, 3),
            operation(1, .enqueue(2), .enqueued, 1, 2, process: 1),
            operation(2, .dequeue, .dequeued(2), 4, 5),
            operation(3, .dequeue, .dequeued(1), 6, 7),
        ]
        #expect(checkLinearizability(either, model: Queue(), budget: .steps(1_000)) == .linearizable)
        // Enqueues in sequence must come out in that order.
        let ordered: [ModelOperation<Queue>] = [
            operation(0, .enqueue(1), .enqueued, 0, 1),
            operation(1, .enqueue(2), .enqueued, 2, 3, process: 1),
            operation(2, .dequeue, .dequeued(2), 4, 5),
        ]
        guard case .notLinearizable(let failure) = checkLinearizability(ordered, model: Queue(), budget: .steps(1_000)) else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.blockedOperation == 2)
        #expect(failure.explanation.contains("it dequeued 2 but 1 is at the front"))
    }

    @Test func counterHistoryWithALostIncrementIsRejected() {
        let lost: [ModelOperation<CounterModel>] = [
            operation(0, .add(1), .added, 0, 2),
            operation(1, .add(1), .added, 1, 3, process: 1),
            operation(2, .read, .value(1), 4, 5),
        ]
        #expect(!checkLinearizability(lost, model: CounterModel(), budget: .steps(1_000)).isLinearizable)
    }
}
