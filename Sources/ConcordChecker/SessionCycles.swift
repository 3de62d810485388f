/// Finding and explaining the cycles in a session-guarantee check's version
/// constraints.
extension SessionGuaranteeCheck {
    /// Every contradiction, as a cycle through at least one guarantee's
    /// constraint, up to ``Checker/sessionViolationsReportedMax``.
    func violations() -> [SessionViolation] {
        var found: [SessionViolation] = []
        for versions in keys where !versions.constraints.isEmpty {
            let graph = ConstraintGraph(nodeCount: versions.names.count, constraints: versions.constraints)
            let component = graph.stronglyConnectedComponents()
            // One candidate cycle per guarantee constraint that lies on a
            // cycle, each closed through as few other guarantee constraints
            // as possible; a cycle whose guarantee constraints include all of
            // a smaller one's says nothing new and is left out.
            var candidates: [[Int]] = []
            for (index, constraint) in versions.constraints.enumerated()
            where !constraint.source.isFact && component[constraint.earlier] == component[constraint.later] {
                guard candidates.count < Checker.sessionViolationsReportedMax * 4 else { break }
                candidates.append([index] + graph.path(from: constraint.later, to: constraint.earlier, within: component))
            }
            let guaranteeConstraints = candidates.map { Set($0.filter { !versions.constraints[$0].source.isFact }) }
            var reported: [Set<Int>] = []
            for candidate in candidates.indices.sorted(by: { guaranteeConstraints[$0].count < guaranteeConstraints[$1].count }) {
                let own = guaranteeConstraints[candidate]
                guard !reported.contains(where: { $0.isSubset(of: own) }) else { continue }
                guard found.count < Checker.sessionViolationsReportedMax else { return found }
                reported.append(own)
                found.append(violation(versions, candidates[candidate]))
            }
        }
        return found
    }

    private func violation(_ versions: KeyVersions, _ cycle: [Int]) -> SessionViolation {
        let constraints = cycle.map { versions.constraints[$0] }
        let guarantees = Set(constraints.flatMap(\.source.guarantees)).sorted()
        let operations = Set(constraints.flatMap(\.operationIds)).sorted()
        var lines = ["On key \(versions.key), no order of versions satisfies these constraints (\(guarantees.map(\.rawValue).joined(separator: ", "))):"]
        for constraint in constraints {
            lines.append("- \(name(versions, constraint.earlier)) comes no later than \(name(versions, constraint.later)): \(reason(versions, constraint))")
        }
        return SessionViolation(guarantees: guarantees, key: versions.key, operations: operations, explanation: lines.joined(separator: "\n"))
    }

    private func name(_ versions: KeyVersions, _ node: Int) -> String {
        node == 0 ? "the initial absent state" : quoted(versions.names[node])
    }

    private func describe(_ id: Int) -> String {
        let operation = history.operations[id]
        return "\(operation.summary) (operation \(id), process \(operation.process))"
    }

    private func reason(_ versions: KeyVersions, _ constraint: Constraint) -> String {
        let (a, b, c, d) = constraint.operations
        switch constraint.source {
        case .initialFirst:
            return "every version follows the initial state (\(describe(a)))"
        case .casReplaced:
            return "\(describe(a)) replaced it"
        case .readYourWrites:
            return "\(describe(a)) was followed in its session by \(describe(b)), which must see it (read-your-writes)"
        case .monotonicReads:
            return "\(describe(a)) was followed in its session by \(describe(b)), which must not go back (monotonic reads)"
        case .monotonicWrites:
            return "\(describe(a)) was followed in its session by \(describe(b)) (monotonic writes)"
        case .writesFollowReads:
            return "\(describe(a)) was followed in its session by \(describe(b)) (writes follow reads)"
        case .monotonicWritesAcrossKeys:
            return "\(describe(a)) preceded \(b >= 0 ? describe(b) : "a write") in its session; \(describe(c)) saw that write and was followed by \(describe(d)) (monotonic writes, with monotonic reads)"
        case .writesFollowReadsAcrossKeys:
            return "\(describe(a)) preceded \(b >= 0 ? describe(b) : "a write") in its session; \(describe(c)) saw that write and was followed by \(describe(d)) (writes follow reads, with monotonic reads)"
        }
    }
}

/// The version-order constraints of one key as a directed graph.
struct ConstraintGraph {
    /// Outgoing constraint indices per node, as compressed rows.
    private let start: [Int]
    private let edges: [Int]
    private let targets: [Int]
    private let sources: [Int]
    /// Per constraint: whether it is a fact every store obeys.
    private let isFact: [Bool]
    let nodeCount: Int

    init(nodeCount: Int, constraints: [SessionGuaranteeCheck.Constraint]) {
        self.nodeCount = nodeCount
        var degree = [Int](repeating: 0, count: nodeCount + 1)
        for constraint in constraints { degree[constraint.earlier + 1] += 1 }
        for node in 0..<nodeCount { degree[node + 1] += degree[node] }
        var fill = degree
        var edges = [Int](repeating: 0, count: constraints.count)
        for (index, constraint) in constraints.enumerated() {
            edges[fill[constraint.earlier]] = index
            fill[constraint.earlier] += 1
        }
        self.start = degree
        self.edges = edges
        self.targets = constraints.map(\.later)
        self.sources = constraints.map(\.earlier)
        self.isFact = constraints.map(\.source.isFact)
    }

    private func outgoing(_ node: Int) -> ArraySlice<Int> {
        edges[start[node]..<start[node + 1]]
    }

    /// The component number of every node (Tarjan's algorithm, iterative).
    func stronglyConnectedComponents() -> [Int] {
        var index = [Int](repeating: -1, count: nodeCount)
        var low = [Int](repeating: 0, count: nodeCount)
        var onStack = [Bool](repeating: false, count: nodeCount)
        var component = [Int](repeating: -1, count: nodeCount)
        var stack: [Int] = []
        var counter = 0
        var components = 0
        for root in 0..<nodeCount where index[root] < 0 {
            var work: [(node: Int, next: Int)] = [(root, start[root])]
            index[root] = counter; low[root] = counter; counter += 1
            stack.append(root); onStack[root] = true
            while let (node, next) = work.last {
                if next < start[node + 1] {
                    work[work.count - 1].next += 1
                    let target = targets[edges[next]]
                    if index[target] < 0 {
                        index[target] = counter; low[target] = counter; counter += 1
                        stack.append(target); onStack[target] = true
                        work.append((target, start[target]))
                    } else if onStack[target] {
                        low[node] = min(low[node], index[target])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last { low[parent.node] = min(low[parent.node], low[node]) }
                if low[node] == index[node] {
                    while let member = stack.popLast() {
                        onStack[member] = false
                        component[member] = components
                        if member == node { break }
                    }
                    components += 1
                }
            }
        }
        return component
    }

    /// The constraint indices of a path from `source` to `target` inside
    /// their component that uses as few guarantee constraints (as opposed to
    /// facts every store obeys) as possible: a 0-1 breadth-first search.
    func path(from source: Int, to target: Int, within component: [Int]) -> [Int] {
        var via = [Int](repeating: -1, count: nodeCount)
        var distance = [Int](repeating: Int.max, count: nodeCount)
        distance[source] = 0
        var front: [Int] = []  // a stack of nodes reached at no extra cost
        var queue = [source]
        var head = 0
        while true {
            let node: Int
            if let next = front.popLast() {
                node = next
            } else if head < queue.count {
                node = queue[head]
                head += 1
            } else {
                break
            }
            for edge in outgoing(node) {
                let next = targets[edge]
                let cost = distance[node] + (isFact[edge] ? 0 : 1)
                guard component[next] == component[source], cost < distance[next] else { continue }
                distance[next] = cost
                via[next] = edge
                if isFact[edge] { front.append(next) } else { queue.append(next) }
            }
        }
        var path: [Int] = []
        var node = target
        while node != source {
            let edge = via[node]
            precondition(edge >= 0, "nodes of one component are connected")
            path.append(edge)
            node = sources[edge]
        }
        return path.reversed()
    }
}
