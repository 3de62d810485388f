/// Records what simulated clients did, for a checker: each operation's
/// invocation and at most one completion, stamped with true virtual time.
///
/// It follows Jepsen's model of a history. A completion is `ok` (it happened,
/// with a result), `fail` (it certainly did not happen) or `info` (it may or
/// may not have happened, as after a timeout); after an `info` the process
/// issues nothing more, since it cannot know what state it left behind. An
/// operation still open when the run ends is as uncertain as an `info`.
///
/// The recorder is generic over the operation and result types, so it serves
/// any checker; a scenario converts its events to the checker's format.
public struct HistoryRecorder<Operation: Sendable, Result: Sendable>: Sendable {
    /// How an operation ended.
    public enum Outcome: Sendable {
        /// It happened and returned this result.
        case ok(Result)
        /// It certainly did not happen.
        case fail
        /// It may or may not have happened.
        case info
    }

    /// What an event records.
    public enum Kind: String, Sendable, Hashable {
        case invoke, ok, fail, info
    }

    /// One event of the history.
    public struct Event: Sendable {
        /// The index of the operation, as returned by `invoke`.
        public var operationIndex: Int
        /// The client process that issued the operation.
        public var process: Int
        public var kind: Kind
        /// The operation as invoked.
        public var operation: Operation
        /// The result, for an `ok` completion.
        public var result: Result?
        /// True virtual time of the event.
        public var time: SimulationInstant
    }

    /// Every event, in the order recorded (non-decreasing in time).
    public private(set) var events: [Event] = []
    private var operations: [(process: Int, operation: Operation, isOpen: Bool)] = []
    private var openOperationOfProcess: [Int: Int] = [:]
    private var finishedProcesses: Set<Int> = []

    public init() {}

    /// Records that `process` invoked `operation` at `at`.
    ///
    /// - Precondition: the process has no open operation, has not ended with
    ///   an `info`, and `at` is not before the last event.
    /// - Returns: the operation's index, for `complete`.
    public mutating func invoke(process: Int, _ operation: Operation, at: SimulationInstant) -> Int {
        precondition(openOperationOfProcess[process] == nil, "process \(process) already has an open operation")
        precondition(!finishedProcesses.contains(process), "process \(process) ended with an info and may issue nothing more")
        checkTime(at)
        let index = operations.count
        operations.append((process, operation, true))
        openOperationOfProcess[process] = index
        events.append(Event(operationIndex: index, process: process, kind: .invoke, operation: operation, result: nil, time: at))
        return index
    }

    /// Records how operation `index` ended.
    ///
    /// - Precondition: the operation is open and `at` is not before the last event.
    public mutating func complete(_ index: Int, _ outcome: Outcome, at: SimulationInstant) {
        precondition(operations.indices.contains(index) && operations[index].isOpen, "operation \(index) is not open")
        checkTime(at)
        let (process, operation, _) = operations[index]
        operations[index].isOpen = false
        openOperationOfProcess[process] = nil
        switch outcome {
        case .ok(let result):
            events.append(Event(operationIndex: index, process: process, kind: .ok, operation: operation, result: result, time: at))
        case .fail:
            events.append(Event(operationIndex: index, process: process, kind: .fail, operation: operation, result: nil, time: at))
        case .info:
            finishedProcesses.insert(process)
            events.append(Event(operationIndex: index, process: process, kind: .info, operation: operation, result: nil, time: at))
        }
    }

    /// The operation with index `index`.
    public func operation(_ index: Int) -> Operation {
        operations[index].operation
    }

    /// The open operation of `process`, if any.
    public func openOperation(of process: Int) -> Int? {
        openOperationOfProcess[process]
    }

    /// The indices of every operation not yet completed, in invocation order.
    public var openOperations: [Int] {
        operations.indices.filter { operations[$0].isOpen }
    }

    /// The number of operations invoked.
    public var operationCount: Int { operations.count }

    private func checkTime(_ time: SimulationInstant) {
        if let last = events.last {
            precondition(time >= last.time, "history time went backwards: \(time) after \(last.time)")
        }
    }
}
