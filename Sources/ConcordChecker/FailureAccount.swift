/// Writes the readable account of a failed linearizability search: after
/// the longest partial linearization found, which operation cannot be
/// placed, and what each alternative runs into.
struct FailureAccount<Model: SequentialModel> {
    let operations: [ModelOperation<Model>]
    let model: Model

    /// The most alternatives an account lists.
    static var alternativesListedMax: Int { 8 }

    func failure(key: String?, deepest: [Int], state: Model.State) -> LinearizabilityFailure {
        let placed = Set(deepest)
        let left = operations.indices.filter { !placed.contains($0) }
        // The search stops at the first completion among the operations left:
        // that operation had to be placed before anything invoked after it.
        let blocked = left
            .filter { operations[$0].completionPosition != nil }
            .min { operations[$0].completionPosition! < operations[$1].completionPosition! }
        var lines: [String] = []
        let scope = key.map { "On key \($0), after" } ?? "After"
        lines.append("\(scope) \(deepest.count) operation\(deepest.count == 1 ? "" : "s") in order, the state is \(model.describe(state: state)).")
        if let blocked {
            let operation = operations[blocked]
            // An indeterminate operation given a completion (a write whose
            // value was read) must take effect before that read completed.
            let deadline = operation.output == nil ? "before an operation that saw its effect completed" : "before it completed"
            lines.append("\(name(blocked)) must take effect \(deadline), and cannot: \(reason(blocked, state)).")
            let alternatives = left.filter {
                $0 != blocked && operations[$0].invokePosition <= operation.completionPosition!
            }
            if !alternatives.isEmpty {
                lines.append("No operation that could take effect first helps:")
                for index in alternatives.prefix(Self.alternativesListedMax) {
                    lines.append("- \(name(index)): \(reason(index, state))")
                }
                if alternatives.count > Self.alternativesListedMax {
                    lines.append("- and \(alternatives.count - Self.alternativesListedMax) more")
                }
            }
        }
        return LinearizabilityFailure(
            key: key, partialLinearization: deepest.map { operations[$0].id },
            blockedOperation: blocked.map { operations[$0].id },
            state: model.describe(state: state), explanation: lines.joined(separator: "\n"))
    }

    private func name(_ index: Int) -> String {
        let operation = operations[index]
        return "\(model.describe(input: operation.input, output: operation.output)) by process \(operation.process) (operation \(operation.id))"
    }

    private func reason(_ index: Int, _ state: Model.State) -> String {
        let operation = operations[index]
        if model.step(state, operation.input, operation.output) == nil {
            return model.describeRejection(input: operation.input, output: operation.output, state: state)
        }
        return "it can take effect here, but no order of the remaining operations works after it"
    }
}
