/// Checks a kv history key by key, with the keys checked in parallel.
///
/// The verdict is the same as ``analyzeLinearizability(_:model:budget:)-(History,_,_)``
/// gives: each key's search is deterministic and the results are combined
/// in the same order (the first key, by first invocation, that is not
/// linearizable decides). Unlike the sequential check it does not stop at
/// the first failing key, so it may do more work on failing histories and
/// reports every key. The searches themselves stay synchronous; only this
/// function uses tasks, so callers that need a single thread (the
/// simulator) use the sequential form.
/// - Parameters:
///   - history: a validated history.
///   - model: the kv model.
///   - budget: the search budget, per key.
///   - width: how many keys to check at once; positive.
/// - Returns: the verdict and, per key, the order found.
public func analyzeLinearizabilityInParallel(
    _ history: History, model: KVModel = .kv, budget: CheckBudget = .default, width: Int = 4
) async -> LinearizabilityAnalysis {
    precondition(width > 0, "at least one key is checked at a time")
    let partitions = kvPartitions(history)
    var results = [PartitionAnalysis?](repeating: nil, count: partitions.count)
    await withTaskGroup(of: (Int, PartitionAnalysis).self) { group in
        var started = 0
        func start() {
            let index = started
            let (key, operations) = partitions[index]
            group.addTask {
                (index, analyzeKeyPartition(operations, key: key, budget: budget))
            }
            started += 1
        }
        while started < min(width, partitions.count) { start() }
        for await (index, result) in group {
            results[index] = result
            if started < partitions.count { start() }
        }
    }
    let analyses = results.map { $0! }
    return LinearizabilityAnalysis(verdict: combinedVerdict(analyses), partitions: analyses)
}
