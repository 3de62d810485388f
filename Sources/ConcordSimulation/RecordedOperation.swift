/// One client operation as a picture of the run shows it: who issued it,
/// when it started and ended in true time, how it ended, and whether the
/// checker blamed it. Scenarios build these from the history they hand to
/// their checker (see `HistoryRecorder.recordedOperations`), so that a
/// space-time diagram can draw each operation as a bar on its client's line.
public struct RecordedOperation: Sendable, Hashable {
    /// How an operation ended.
    public enum Outcome: String, Sendable, Hashable {
        /// It happened, with the result in the label.
        case ok
        /// It certainly did not happen.
        case fail
        /// It may or may not have happened.
        case info
        /// It had not completed when the run ended.
        case open
    }

    /// The operation's number in its history (the checker's operation id).
    public var id: Int
    /// The client process that issued it.
    public var process: Int
    /// The simulated node the process runs on, if it is one.
    public var node: NodeID?
    /// The operation and its result in words, for example `put(x, "1")`.
    public var label: String
    /// True time of the invocation.
    public var invokedAt: SimulationInstant
    /// True time of the completion, nil while open.
    public var completedAt: SimulationInstant?
    /// How it ended.
    public var outcome: Outcome
    /// True when the checker's verdict names this operation (the one that
    /// cannot be linearized, a write that was lost, …).
    public var isOffending: Bool

    /// Creates an operation record.
    public init(
        id: Int, process: Int, node: NodeID?, label: String, invokedAt: SimulationInstant,
        completedAt: SimulationInstant?, outcome: Outcome, isOffending: Bool = false
    ) {
        self.id = id
        self.process = process
        self.node = node
        self.label = label
        self.invokedAt = invokedAt
        self.completedAt = completedAt
        self.outcome = outcome
        self.isOffending = isOffending
    }
}

extension HistoryRecorder {
    /// The recorded operations, one per invocation in invocation order, each
    /// with its completion (open ones as `.open`).
    ///
    /// - Parameters:
    ///   - node: the node each process runs on (nil: none).
    ///   - describe: the operation and, for an `ok`, its result, in words.
    ///   - firstID: the id of the first operation, for several recorders in one picture.
    public func recordedOperations(
        node: (Int) -> NodeID?, firstID: Int = 0, describe: (Operation, Result?) -> String
    ) -> [RecordedOperation] {
        var operations: [RecordedOperation] = []
        var position: [Int: Int] = [:]
        for event in events {
            switch event.kind {
            case .invoke:
                position[event.operationIndex] = operations.count
                operations.append(RecordedOperation(
                    id: firstID + event.operationIndex, process: event.process, node: node(event.process),
                    label: describe(event.operation, nil), invokedAt: event.time, completedAt: nil, outcome: .open))
            case .ok, .fail, .info:
                guard let index = position[event.operationIndex] else { continue }
                operations[index].completedAt = event.time
                operations[index].outcome = event.kind == .ok ? .ok : event.kind == .fail ? .fail : .info
                if event.kind == .ok { operations[index].label = describe(event.operation, event.result) }
            }
        }
        return operations
    }
}
