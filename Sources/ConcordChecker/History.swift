/// A validated Jepsen-style history: the events clients observed, in
/// real-time order, and the operations they form.
///
/// Rules (checked by ``init(_:)``):
/// - each operation is an `invoke` followed by at most one completion on the
///   same process, with the same function and key;
/// - a process has at most one open operation;
/// - after an `info` completion its process issues nothing more;
/// - time never goes backwards.
///
/// An operation still open when the history ends is treated like an `info`
/// one: it may or may not have taken effect.
public struct History: Sendable {
    /// The events, in real-time order.
    public private(set) var events: [HistoryEvent]
    /// The operations, in invocation order (``HistoryOperation/id`` is the
    /// index here).
    public private(set) var operations: [HistoryOperation]

    /// Validates `events` and pairs them into operations.
    /// - Throws: ``HistoryError/invalidEvent(index:line:problem:)`` naming the
    ///   first event that breaks a rule.
    public init(_ events: [HistoryEvent]) throws(HistoryError) {
        try self.init(events, lines: nil)
    }

    /// Validates `events`; `lines[i]`, when given, is the file line of event
    /// `i`, used to name lines in errors.
    init(_ events: [HistoryEvent], lines: [Int]?) throws(HistoryError) {
        self.events = events
        do {
            self.operations = try Self.pair(events)
        } catch let failure {
            throw .invalidEvent(index: failure.index, line: lines?[failure.index], problem: failure.problem)
        }
    }

    private struct Failure: Error {
        var index: Int
        var problem: HistoryProblem
    }

    private static func pair(_ events: [HistoryEvent]) throws(Failure) -> [HistoryOperation] {
        var operations: [HistoryOperation] = []
        var openOperation: [Int: Int] = [:]  // process → operation id
        var infoEvent: [Int: Int] = [:]  // process → index of its info completion
        for (index, event) in events.enumerated() {
            if index > 0, event.time < events[index - 1].time {
                throw Failure(index: index, problem: .timeWentBackwards(time: event.time, previousTime: events[index - 1].time))
            }
            if let info = infoEvent[event.process] {
                throw Failure(index: index, problem: .eventAfterInfo(process: event.process, infoIndex: info))
            }
            if event.kind == .invoke {
                if let open = openOperation[event.process] {
                    throw Failure(index: index, problem: .operationAlreadyOpen(process: event.process, openInvokeIndex: operations[open].invokeIndex))
                }
                if let missing = missingArgument(of: event) {
                    throw Failure(index: index, problem: .missingArgument(function: event.function, argument: missing))
                }
                openOperation[event.process] = operations.count
                operations.append(HistoryOperation(
                    id: operations.count, process: event.process, function: event.function, key: event.key,
                    value: event.function == .put || event.function == .cas ? event.value : nil,
                    expected: event.function == .cas ? event.expected : nil,
                    result: nil, outcome: .info, invokeIndex: index, completionIndex: nil,
                    invokeTime: event.time, completionTime: nil))
                continue
            }
            guard let id = openOperation.removeValue(forKey: event.process) else {
                throw Failure(index: index, problem: .completionWithoutInvoke(process: event.process))
            }
            let invoked = operations[id]
            if event.function != invoked.function {
                throw Failure(index: index, problem: .completionMismatch(
                    invokeIndex: invoked.invokeIndex, field: "function",
                    invoked: invoked.function.rawValue, completed: event.function.rawValue))
            }
            if event.key != invoked.key {
                throw Failure(index: index, problem: .completionMismatch(
                    invokeIndex: invoked.invokeIndex, field: "key",
                    invoked: quoted(invoked.key), completed: quoted(event.key)))
            }
            operations[id].completionIndex = index
            operations[id].completionTime = event.time
            switch event.kind {
            case .invoke: preconditionFailure("handled above")
            case .ok:
                operations[id].outcome = .ok
                if event.function == .get { operations[id].result = event.value }
            case .fail:
                operations[id].outcome = .fail
            case .info:
                operations[id].outcome = .info
                infoEvent[event.process] = index
            }
        }
        return operations
    }

    private static func missingArgument(of event: HistoryEvent) -> String? {
        switch event.function {
        case .put, .cas: event.value == nil ? "value" : nil
        case .get, .delete: nil
        }
    }

    /// The keys of the history, in order of first invocation.
    public var keys: [String] {
        var seen: Set<String> = []
        return operations.compactMap { seen.insert($0.key).inserted ? $0.key : nil }
    }
}
