import ConcordChecker
import ConcordSimulation

extension RecordedOperation {
    /// The operations of a checked history, as the space-time diagram draws
    /// them. Every scenario stamps its histories with true time in
    /// nanoseconds, which is what this reads `invokeTime` and
    /// `completionTime` as.
    ///
    /// - Parameters:
    ///   - history: the history handed to the checker.
    ///   - offending: the ids of the operations the verdict blames.
    ///   - node: the simulated node each process runs on (nil: none).
    static func operations(of history: History, offending: Set<Int> = [], node: (Int) -> NodeID?) -> [RecordedOperation] {
        history.operations.map { operation in
            let outcome: Outcome
            switch operation.outcome {
            case .ok: outcome = .ok
            case .fail: outcome = .fail
            case .info: outcome = operation.completionTime == nil ? .open : .info
            }
            return RecordedOperation(
                id: operation.id, process: operation.process, node: node(operation.process), label: operation.summary,
                invokedAt: SimulationInstant(nanoseconds: operation.invokeTime),
                completedAt: operation.completionTime.map { SimulationInstant(nanoseconds: $0) },
                outcome: outcome, isOffending: offending.contains(operation.id))
        }
    }
}

extension LinearizabilityVerdict {
    /// The operations a failed check blames: the one that cannot be placed
    /// after the longest partial linearization found.
    var offendingOperations: Set<Int> {
        guard case .notLinearizable(let failure) = self, let blocked = failure.blockedOperation else { return [] }
        return [blocked]
    }
}
