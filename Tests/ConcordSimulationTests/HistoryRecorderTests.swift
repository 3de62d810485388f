import Testing
import ConcordSimulation

@Suite("HistoryRecorder")
struct HistoryRecorderTests {
    enum Operation: Sendable, Equatable { case read, write(Int) }

    @Test func recordsInvocationsAndCompletionsInOrderWithTheirTimes() {
        var history = HistoryRecorder<Operation, Int?>()
        let write = history.invoke(process: 0, .write(1), at: .zero + .milliseconds(1))
        let read = history.invoke(process: 1, .read, at: .zero + .milliseconds(2))
        history.complete(write, .ok(nil), at: .zero + .milliseconds(3))
        history.complete(read, .ok(1), at: .zero + .milliseconds(4))
        let failed = history.invoke(process: 0, .write(2), at: .zero + .milliseconds(5))
        history.complete(failed, .fail, at: .zero + .milliseconds(6))
        #expect(history.events.map(\.kind) == [.invoke, .invoke, .ok, .ok, .invoke, .fail])
        #expect(history.events.map(\.process) == [0, 1, 0, 1, 0, 0])
        #expect(history.events.map(\.operationIndex) == [0, 1, 0, 1, 2, 2])
        #expect(history.events[3].result == .some(1))
        #expect(history.events[3].operation == .read)
        #expect(history.events.map(\.time.nanoseconds) == [1, 2, 3, 4, 5, 6].map { $0 * 1_000_000 })
        #expect(history.openOperations.isEmpty)
    }

    @Test func anInfoCompletionAndUnfinishedOperationsStayUncertain() {
        var history = HistoryRecorder<Operation, Int?>()
        let write = history.invoke(process: 0, .write(1), at: .zero)
        history.complete(write, .info, at: .zero + .seconds(1))
        let read = history.invoke(process: 1, .read, at: .zero + .seconds(2))
        #expect(history.events.last?.kind == .invoke)
        #expect(history.openOperations == [read])
        #expect(history.openOperation(of: 1) == read)
        #expect(history.openOperation(of: 0) == nil)
        #expect(history.operation(write) == .write(1))
        #expect(history.operationCount == 2)
    }
}
