import Testing
import ConcordChecker

@Suite struct HistoryValidationTests {
    private func event(_ process: Int, _ kind: HistoryEvent.Kind, _ function: HistoryEvent.Function = .put, key: String = "x", value: String? = "1", time: Int64 = 0) -> HistoryEvent {
        HistoryEvent(process: process, kind: kind, function: function, key: key, value: value, time: time)
    }

    @Test func completionWithoutInvokeIsRejectedNamingTheEvent() {
        #expect(throws: HistoryError.invalidEvent(index: 1, line: nil, problem: .completionWithoutInvoke(process: 1))) {
            try History([self.event(0, .invoke), self.event(1, .ok)])
        }
    }

    @Test func twoOpenOperationsOnOneProcessAreRejected() {
        #expect(throws: HistoryError.invalidEvent(index: 2, line: nil, problem: .operationAlreadyOpen(process: 0, openInvokeIndex: 1))) {
            try History([self.event(1, .invoke), self.event(0, .invoke), self.event(0, .invoke)])
        }
    }

    @Test func eventAfterInfoOnTheSameProcessIsRejected() {
        #expect(throws: HistoryError.invalidEvent(index: 2, line: nil, problem: .eventAfterInfo(process: 0, infoIndex: 1))) {
            try History([self.event(0, .invoke), self.event(0, .info), self.event(0, .invoke)])
        }
    }

    @Test func timeGoingBackwardsIsRejected() {
        #expect(throws: HistoryError.invalidEvent(index: 1, line: nil, problem: .timeWentBackwards(time: 4, previousTime: 5))) {
            try History([self.event(0, .invoke, time: 5), self.event(0, .ok, time: 4)])
        }
    }

    @Test func completionWithAnotherFunctionOrKeyIsRejected() {
        #expect(throws: HistoryError.invalidEvent(index: 1, line: nil, problem: .completionMismatch(invokeIndex: 0, field: "function", invoked: "put", completed: "get"))) {
            try History([self.event(0, .invoke), self.event(0, .ok, .get)])
        }
        #expect(throws: HistoryError.invalidEvent(index: 1, line: nil, problem: .completionMismatch(invokeIndex: 0, field: "key", invoked: "\"x\"", completed: "\"y\""))) {
            try History([self.event(0, .invoke), self.event(0, .ok, key: "y")])
        }
    }

    @Test func putWithoutAValueIsRejected() {
        #expect(throws: HistoryError.invalidEvent(index: 0, line: nil, problem: .missingArgument(function: .put, argument: "value"))) {
            try History([self.event(0, .invoke, value: nil)])
        }
    }

    @Test func validHistoryPairsOperationsAndTreatsOpenOnesAsIndeterminate() throws {
        let history = try History([
            event(0, .invoke),
            event(1, .invoke, .get, value: nil),
            event(1, .ok, .get, value: "1", time: 2),
            event(0, .fail, time: 3),
            event(2, .invoke, time: 3),
        ])
        #expect(history.operations.map(\.outcome) == [.fail, .ok, .info])
        #expect(history.operations[1].result == "1")
        #expect(history.operations[1].completionIndex == 2)
        #expect(history.operations[2].completionIndex == nil)
    }

    @Test func errorDescriptionNamesTheEvent() {
        let error = HistoryError.invalidEvent(index: 3, line: 4, problem: .completionWithoutInvoke(process: 2))
        #expect(error.description == "line 4 (event 3): a completion for process 2, which has no open operation")
    }
}
