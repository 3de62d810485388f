/// The answer of a sequential-consistency check.
public enum SequentialConsistencyVerdict: Sendable, Hashable, CustomStringConvertible {
    /// Some interleaving that keeps each process's order satisfies the
    /// model; the order found, as operation ids.
    case sequentiallyConsistent(order: [Int])
    /// None does.
    case notSequentiallyConsistent(longestPrefix: [Int], explanation: String)
    /// The history is too large, or the budget ran out.
    case unknown(reason: String)

    /// Whether the verdict is ``sequentiallyConsistent(order:)``.
    public var isSequentiallyConsistent: Bool {
        if case .sequentiallyConsistent = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .sequentiallyConsistent: "sequentially consistent"
        case .notSequentiallyConsistent(_, let explanation): "not sequentially consistent: \(explanation)"
        case .unknown(let reason): "unknown: \(reason)"
        }
    }
}

extension Checker {
    /// The most operations a sequential-consistency check accepts. The
    /// search is exponential in the number of processes, and unlike
    /// linearizability the property does not split by key.
    public static let sequentialConsistencyOperationsMax = 200
}

/// Checks whether a kv history is sequentially consistent: whether some
/// single order of its operations that keeps each process's own order (but
/// not real time) satisfies the kv model. All keys are checked together.
/// - Returns: ``SequentialConsistencyVerdict/unknown(reason:)`` beyond
///   ``Checker/sequentialConsistencyOperationsMax`` operations or the budget.
public func checkSequentialConsistency(
    _ history: History, model: KVModel = .kv, budget: CheckBudget = .default
) -> SequentialConsistencyVerdict {
    let operations: [ModelOperation<KVModel>] = history.operations.compactMap { kvModelOperation($0) }
    return checkSequentialConsistency(operations, model: model, budget: budget)
}

/// Checks whether operations of any model are sequentially consistent.
/// Indeterminate operations (no completion) may be left out.
public func checkSequentialConsistency<Model: SequentialModel>(
    _ operations: [ModelOperation<Model>], model: Model, budget: CheckBudget = .default
) -> SequentialConsistencyVerdict {
    guard operations.count <= Checker.sequentialConsistencyOperationsMax else {
        return .unknown(reason: "the history has \(operations.count) operations; sequential consistency is checked for at most \(Checker.sequentialConsistencyOperationsMax)")
    }
    return InterleavingSearch(operations: operations, model: model).run(budget: budget)
}

/// A depth-first search over interleavings of the processes' sequences,
/// with a cache of (positions, state) configurations already explored.
struct InterleavingSearch<Model: SequentialModel> {
    struct Configuration: Hashable {
        var positions: [Int]
        var state: Model.State
    }

    struct Frame {
        var configuration: Configuration
        /// The next choice to try: an index into `order` × 2, plus 1 to skip
        /// an indeterminate operation instead of placing it.
        var choice: Int
        /// The sessions with operations left, earliest next invocation
        /// first: real time is a good first guess at a legal order.
        var order: [Int]
        /// The operation placed to reach this frame, if any.
        var placed: Int?
    }

    let operations: [ModelOperation<Model>]
    let model: Model
    let sessions: [[Int]]
    /// Per session: the position just after its last completed operation;
    /// the search is done when every session has reached it.
    let requiredEnd: [Int]

    init(operations: [ModelOperation<Model>], model: Model) {
        self.operations = operations
        self.model = model
        let grouped = Dictionary(grouping: operations.indices, by: { operations[$0].process })
        let sessions = grouped.keys.sorted().map { grouped[$0]!.sorted { operations[$0].invokePosition < operations[$1].invokePosition } }
        self.sessions = sessions
        self.requiredEnd = sessions.map { session in
            (session.lastIndex { operations[$0].completionPosition != nil } ?? -1) + 1
        }
    }

    private func isDone(_ positions: [Int]) -> Bool {
        for (position, end) in zip(positions, requiredEnd) where position < end { return false }
        return true
    }

    func run(budget: CheckBudget) -> SequentialConsistencyVerdict {
        var seen: Set<Configuration> = []
        let start = Configuration(positions: Array(repeating: 0, count: sessions.count), state: model.initialState)
        seen.insert(start)
        var stack = [Frame(configuration: start, choice: 0, order: order(start.positions), placed: nil)]
        var deepest: [Frame] = stack
        var steps = 0
        while let frame = stack.last {
            steps += 1
            if steps > budget.searchStepsMax {
                return .unknown(reason: "the budget of \(budget.searchStepsMax) search steps ran out")
            }
            if let deadline = budget.deadline, steps % CheckBudget.deadlinePollSteps == 0, ContinuousClock.now >= deadline {
                return .unknown(reason: "the deadline passed after \(steps) search steps")
            }
            if isDone(frame.configuration.positions) {
                return .sequentiallyConsistent(order: stack.compactMap(\.placed).map { operations[$0].id })
            }
            guard frame.choice < frame.order.count * 2 else {
                stack.removeLast()
                continue
            }
            stack[stack.count - 1].choice += 1
            let session = frame.order[frame.choice / 2]
            let skip = frame.choice % 2 == 1
            let position = frame.configuration.positions[session]
            let index = sessions[session][position]
            let operation = operations[index]
            var next = frame.configuration
            next.positions[session] += 1
            if skip {
                guard operation.completionPosition == nil else { continue }
            } else {
                guard let state = model.step(frame.configuration.state, operation.input, operation.output) else { continue }
                next.state = state
            }
            guard seen.insert(next).inserted else { continue }
            stack.append(Frame(configuration: next, choice: 0, order: order(next.positions), placed: skip ? nil : index))
            if stack.count > deepest.count { deepest = stack }
        }
        return .notSequentiallyConsistent(
            longestPrefix: deepest.compactMap(\.placed).map { operations[$0].id },
            explanation: explain(deepest.last!.configuration, placedCount: deepest.compactMap(\.placed).count))
    }

    private func order(_ positions: [Int]) -> [Int] {
        sessions.indices
            .filter { positions[$0] < sessions[$0].count }
            .sorted { operations[sessions[$0][positions[$0]]].invokePosition < operations[sessions[$1][positions[$1]]].invokePosition }
    }

    private func explain(_ configuration: Configuration, placedCount: Int) -> String {
        var lines = ["No order that keeps each process's own order works. After the longest prefix found (\(placedCount) operations), the state is \(model.describe(state: configuration.state)), and no process can go on:"]
        for (session, position) in zip(sessions, configuration.positions) where position < session.count {
            let operation = operations[session[position]]
            let name = "\(model.describe(input: operation.input, output: operation.output)) by process \(operation.process) (operation \(operation.id))"
            if model.step(configuration.state, operation.input, operation.output) == nil {
                lines.append("- \(name): \(model.describeRejection(input: operation.input, output: operation.output, state: configuration.state))")
            } else {
                lines.append("- \(name): it can take effect here, but no order of the remaining operations works after it")
            }
        }
        return lines.joined(separator: "\n")
    }
}
