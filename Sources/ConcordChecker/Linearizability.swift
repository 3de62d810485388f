/// Checks whether operations of any sequential model are linearizable,
/// without partitioning.
/// - Parameters:
///   - operations: the operations with their real-time intervals.
///   - model: the sequential specification.
///   - budget: how much search to allow.
/// - Returns: the verdict and the order found.
public func analyzeLinearizability<Model: SequentialModel>(
    _ operations: [ModelOperation<Model>], model: Model, budget: CheckBudget = .default
) -> LinearizabilityAnalysis {
    let partition = analyzePartition(operations, key: nil, model: model, budget: budget)
    return LinearizabilityAnalysis(verdict: partition.verdict, partitions: [partition])
}

/// Checks whether operations of any sequential model are linearizable.
/// - Returns: the verdict of ``analyzeLinearizability(_:model:budget:)-(_,Model,_)``.
public func checkLinearizability<Model: SequentialModel>(
    _ operations: [ModelOperation<Model>], model: Model, budget: CheckBudget = .default
) -> LinearizabilityVerdict {
    analyzeLinearizability(operations, model: model, budget: budget).verdict
}

/// Checks whether a kv history is linearizable, key by key.
///
/// Keys of a map are independent objects, so the history is linearizable
/// exactly when each key's sub-history is (P-compositionality, Herlihy and
/// Wing's locality). Partitions are checked one after another, in order of
/// first invocation, stopping at the first that is not linearizable; the
/// result is deterministic. `fail` operations are dropped; `info`
/// operations may take effect anywhere after their invocation, or never.
/// - Parameters:
///   - history: a validated history.
///   - model: the kv model.
///   - budget: the search budget, per key.
/// - Returns: the verdict and, per key, the order found.
public func analyzeLinearizability(
    _ history: History, model: KVModel = .kv, budget: CheckBudget = .default
) -> LinearizabilityAnalysis {
    var partitions: [PartitionAnalysis] = []
    for (key, operations) in kvPartitions(history) {
        let partition = analyzeKeyPartition(operations, key: key, budget: budget)
        partitions.append(partition)
        if case .notLinearizable = partition.verdict { break }
    }
    return LinearizabilityAnalysis(verdict: combinedVerdict(partitions), partitions: partitions)
}

/// Checks whether a kv history is linearizable, key by key.
/// - Returns: the verdict of ``analyzeLinearizability(_:model:budget:)-(History,_,_)``.
public func checkLinearizability(
    _ history: History, model: KVModel = .kv, budget: CheckBudget = .default
) -> LinearizabilityVerdict {
    analyzeLinearizability(history, model: model, budget: budget).verdict
}

/// The history's operations that can matter, as kv-model operations grouped
/// by key in order of first invocation. `fail` operations are dropped, and
/// so are indeterminate reads, which change nothing and were seen by no one.
func kvPartitions(_ history: History) -> [(key: String, operations: [ModelOperation<KVModel.KeyModel>])] {
    var order: [String] = []
    var byKey: [String: [ModelOperation<KVModel.KeyModel>]] = [:]
    for operation in history.operations {
        guard let modelOperation: ModelOperation<KVModel.KeyModel> = kvModelOperation(operation) else { continue }
        if byKey[operation.key] == nil { order.append(operation.key) }
        byKey[operation.key, default: []].append(modelOperation)
    }
    return order.map { ($0, settleIndeterminateWrites(byKey[$0]!)) }
}

/// Narrows the indeterminate writes of one key using what was read, which
/// keeps the search from trying each of them at every later point:
/// - a write whose value no completed `get` read and no `cas` expected can
///   be left out, since a linearization that places it stays one without
///   it (every operation placed while its value was current accepts the
///   value before it, except an indeterminate `cas`, which can be left out
///   too);
/// - a write whose value is written by no other operation (absence counts
///   as written by the initial state) and was read by a completed operation
///   must precede that read, so it becomes a completed operation whose
///   completion is the earliest such read's.
func settleIndeterminateWrites(_ operations: [ModelOperation<KVModel.KeyModel>]) -> [ModelOperation<KVModel.KeyModel>] {
    // The initial state counts as a write of absence: a read of absence may
    // have seen it rather than any delete.
    var writers: [String?: Int] = [nil: 1]
    var observedBy: [String?: Int] = [:]  // value → earliest completion of an operation that saw it
    var expectedByIndeterminate: Set<String?> = []
    for operation in operations {
        switch operation.input.function {
        case .put, .cas:
            writers[operation.input.value, default: 0] += 1
        case .delete:
            writers[nil, default: 0] += 1
        case .get:
            break
        }
        let seen: String??
        switch (operation.input.function, operation.output) {
        case (.get, .value(let read)?): seen = .some(read)
        case (.cas, .done?), (.cas, .notSwapped?): seen = .some(operation.input.expected)
        default: seen = .none
        }
        if case .some(let value) = seen, let completion = operation.completionPosition {
            observedBy[value] = min(observedBy[value] ?? Int.max, completion)
        }
        if operation.input.function == .cas, operation.output == nil {
            expectedByIndeterminate.insert(operation.input.expected)
        }
    }
    var settled: [ModelOperation<KVModel.KeyModel>] = []
    settled.reserveCapacity(operations.count)
    for var operation in operations {
        guard operation.completionPosition == nil, operation.input.function != .get else {
            settled.append(operation)
            continue
        }
        let written = operation.input.function == .delete ? nil : operation.input.value
        if let deadline = observedBy[written] {
            if writers[written] == 1, deadline > operation.invokePosition {
                operation.completionPosition = deadline
            }
            settled.append(operation)
        } else if expectedByIndeterminate.contains(written) {
            settled.append(operation)
        }
        // Otherwise no one saw the value: leave the write out.
    }
    return settled
}

/// A history operation as the kv model sees it, or `nil` if it cannot
/// matter to any check.
func kvModelOperation<Model: SequentialModel>(_ operation: HistoryOperation) -> ModelOperation<Model>?
where Model.Input == KVModel.Input, Model.Output == KVModel.Output {
    let input = KVModel.Input(function: operation.function, key: operation.key, value: operation.value, expected: operation.expected)
    switch operation.outcome {
    case .fail:
        return nil
    case .info:
        if operation.function == .get { return nil }
        return ModelOperation(
            id: operation.id, process: operation.process, input: input, output: nil,
            invokePosition: operation.invokeIndex, completionPosition: nil)
    case .ok:
        let output: KVModel.Output = operation.function == .get ? .value(operation.result) : .done
        return ModelOperation(
            id: operation.id, process: operation.process, input: input, output: output,
            invokePosition: operation.invokeIndex, completionPosition: operation.completionIndex)
    }
}

/// Not linearizable if any partition is not; otherwise unknown if any is;
/// otherwise linearizable.
func combinedVerdict(_ partitions: [PartitionAnalysis]) -> LinearizabilityVerdict {
    if let failed = partitions.first(where: { if case .notLinearizable = $0.verdict { true } else { false } }) {
        return failed.verdict
    }
    let unknown = partitions.compactMap { partition -> String? in
        guard case .unknown(let reason) = partition.verdict else { return nil }
        return partition.key.map { "key \($0): \(reason)" } ?? reason
    }
    if !unknown.isEmpty {
        return .unknown(reason: unknown.joined(separator: "; "))
    }
    return .linearizable
}

func analyzePartition<Model: SequentialModel>(
    _ operations: [ModelOperation<Model>], key: String?, model: Model, budget: CheckBudget
) -> PartitionAnalysis {
    let search = LinearizationSearch(operations: operations, model: model)
    let (outcome, steps) = search.run(budget: budget)
    switch outcome {
    case .linearizable(let order):
        return PartitionAnalysis(key: key, verdict: .linearizable, linearization: order.map { operations[$0].id }, searchSteps: steps)
    case .gaveUp(let reason):
        return PartitionAnalysis(key: key, verdict: .unknown(reason: reason), linearization: nil, searchSteps: steps)
    case .illegal(let deepest, let state):
        let failure = FailureAccount(operations: operations, model: model).failure(key: key, deepest: deepest, state: state)
        return PartitionAnalysis(key: key, verdict: .notLinearizable(failure), linearization: nil, searchSteps: steps)
    }
}

/// Checks one key of a kv history: the search runs over numbered values
/// (``NumberedKeyModel``), and a failure is explained with the values
/// themselves, exactly as ``analyzePartition(_:key:model:budget:)`` with
/// ``KVModel/KeyModel`` would.
func analyzeKeyPartition(
    _ operations: [ModelOperation<KVModel.KeyModel>], key: String, budget: CheckBudget
) -> PartitionAnalysis {
    var numbering = ValueNumbering()
    let numbered = numbering.number(operations)
    let search = LinearizationSearch(operations: numbered, model: NumberedKeyModel())
    let (outcome, steps) = search.run(budget: budget)
    switch outcome {
    case .linearizable(let order):
        return PartitionAnalysis(key: key, verdict: .linearizable, linearization: order.map { operations[$0].id }, searchSteps: steps)
    case .gaveUp(let reason):
        return PartitionAnalysis(key: key, verdict: .unknown(reason: reason), linearization: nil, searchSteps: steps)
    case .illegal(let deepest, let state):
        let failure = FailureAccount(operations: operations, model: KVModel.KeyModel())
            .failure(key: key, deepest: deepest, state: numbering.values[Int(state)])
        return PartitionAnalysis(key: key, verdict: .notLinearizable(failure), linearization: nil, searchSteps: steps)
    }
}
