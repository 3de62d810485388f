/// Checks a history against causal consistency for stores whose reads may
/// return several concurrent values (multi-value registers, Riak-style
/// siblings).
///
/// The causal order is the transitive closure of each process's order and
/// of *reads-from* (a write comes before every read that returned its
/// value), as in Bouajjani et al., "On Verifying Causal Consistency"
/// (POPL 2017). A write whose outcome is unknown (`info`) may be read, but
/// orders nothing after it in its own process: it may have taken effect
/// later. The history is causally consistent when:
/// - every value read was written (no *thin-air read*);
/// - the causal order is acyclic;
/// - no read returns a value that its own causal past had already
///   overwritten (a write of the key between the value's write and the read);
/// - every write of the key in a read's causal past was returned, or
///   overwritten by a returned one (a read of nothing misses them all).
///
/// Together these say each read returns exactly the causally maximal writes
/// of its past, plus concurrent ones it learned of: the guarantee of causal
/// (causal+, with convergence checked separately) stores such as COPS.
///
/// - Parameter history: the operations, each process's in issue order.
/// - Returns: the violations found.
/// - Throws: ``CausalCheckError`` for repeated values or too many operations.
public func checkCausalConsistency(_ history: [CausalOperation]) throws(CausalCheckError) -> CausalReport {
    guard history.count <= Checker.causalConsistencyOperationsMax else {
        throw .tooLarge(operations: history.count, maximum: Checker.causalConsistencyOperationsMax)
    }
    var check = try CausalConsistencyCheck(history)
    return check.run()
}

/// The state of one causal-consistency check.
struct CausalConsistencyCheck {
    let history: [CausalOperation]
    /// Operation index → node of the causal graph (ok reads, ok and info writes).
    var node: [Int: Int] = [:]
    /// Node → operation index.
    var operationOf: [Int] = []
    /// Key → value → writing operation.
    var writer: [String: [String: Int]] = [:]
    /// Key → writing operations.
    var writesOfKey: [String: [Int]] = [:]
    /// Direct causal edges, with the reason of each for explanations.
    var successors: [[Int]] = []
    var reason: [Int: [Int: String]] = [:]
    var violations: [CausalViolation] = []

    init(_ history: [CausalOperation]) throws(CausalCheckError) {
        self.history = history
        for (index, operation) in history.enumerated() where operation.outcome != .fail {
            switch operation.action {
            case .write(let value):
                if let other = writer[operation.key]?[value] {
                    throw .duplicateWrite(key: operation.key, value: value, operations: [other, index])
                }
                writer[operation.key, default: [:]][value] = index
                writesOfKey[operation.key, default: []].append(index)
            case .read:
                guard operation.outcome == .ok else { continue }
            }
            node[index] = operationOf.count
            operationOf.append(index)
        }
        successors = Array(repeating: [], count: operationOf.count)
    }

    mutating func addEdge(_ from: Int, _ to: Int, _ why: String) {
        let (source, target) = (node[from]!, node[to]!)
        successors[source].append(target)
        reason[source, default: [:]][target] = why
    }

    mutating func run() -> CausalReport {
        // Process order: each operation follows the previous ok operations
        // of its process (an info write is followed by nothing).
        var last: [Int: Int] = [:]
        for (index, operation) in history.enumerated() where node[index] != nil {
            if let previous = last[operation.process] { addEdge(previous, index, "process order") }
            // An info write has no successors in its process, but what came
            // before it still precedes it.
            if operation.outcome == .ok { last[operation.process] = index }
        }
        // Reads-from.
        for (index, operation) in history.enumerated() where node[index] != nil {
            guard case .read(let values) = operation.action else { continue }
            for value in values.sorted() {
                guard let write = writer[operation.key]?[value] else {
                    report(.thinAirRead, operation.key, [index],
                           "\(describe(index)) returned \(quoted(value)), which no operation wrote to \(operation.key)")
                    continue
                }
                addEdge(write, index, "reads from")
            }
        }
        let order = order()
        guard let order else { return CausalReport(operationsChecked: operationOf.count, violations: violations) }
        let past = causalPasts(order)
        for (index, operation) in history.enumerated() where node[index] != nil {
            guard case .read(let values) = operation.action else { continue }
            checkRead(index, key: operation.key, values: values, past: past)
            if violations.count >= Checker.causalViolationsReportedMax { break }
        }
        return CausalReport(operationsChecked: operationOf.count, violations: violations)
    }

    /// A topological order of the causal graph, or nil (with a violation
    /// reported) when it has a cycle.
    mutating func order() -> [Int]? {
        var indegree = [Int](repeating: 0, count: operationOf.count)
        for targets in successors { for target in targets { indegree[target] += 1 } }
        var ready = (0..<operationOf.count).filter { indegree[$0] == 0 }
        var order: [Int] = []
        order.reserveCapacity(operationOf.count)
        while let next = ready.popLast() {
            order.append(next)
            for target in successors[next] {
                indegree[target] -= 1
                if indegree[target] == 0 { ready.append(target) }
            }
        }
        guard order.count < operationOf.count else { return order }
        let stuck = (0..<operationOf.count).filter { indegree[$0] > 0 }.map { operationOf[$0] }.sorted()
        report(.cyclicCausalOrder, history[stuck[0]].key, Array(stuck.prefix(8)),
               "the causal order has a cycle through " + stuck.prefix(8).map(describe).joined(separator: ", "))
        return nil
    }

    /// Each node's causal past, as a bit set over nodes (itself excluded).
    func causalPasts(_ order: [Int]) -> [BitRow] {
        var past = [BitRow](repeating: BitRow(count: operationOf.count), count: operationOf.count)
        for source in order {
            for target in successors[source] {
                past[target].formUnion(past[source])
                past[target].insert(source)
            }
        }
        return past
    }

    mutating func checkRead(_ read: Int, key: String, values: Set<String>, past: [BitRow]) {
        let readNode = node[read]!
        let writes = writesOfKey[key] ?? []
        let returned = values.compactMap { writer[key]?[$0] }
        for value in values.sorted() {
            guard let write = writer[key]?[value] else { continue }
            let writeNode = node[write]!
            if let overwriter = writes.first(where: { other in
                other != write && past[readNode].contains(node[other]!) && past[node[other]!].contains(writeNode)
            }) {
                report(.overwrittenValueRead, key, [write, overwriter, read],
                       "\(describe(read)) returned \(quoted(value)), but in its causal past \(describe(write)) was overwritten by \(describe(overwriter))")
            }
        }
        for write in writes where past[readNode].contains(node[write]!) && !returned.contains(write) {
            let superseded = returned.contains { past[node[$0]!].contains(node[write]!) }
            if !superseded {
                let what = values.isEmpty ? "nothing" : "only " + values.sorted().map { quoted($0) }.joined(separator: ", ")
                report(.causalPastMissed, key, [write, read],
                       "\(describe(read)) returned \(what), but \(describe(write)) is in its causal past: \(chain(from: write, to: read))")
            }
        }
    }

    mutating func report(_ kind: CausalViolationKind, _ key: String, _ operations: [Int], _ explanation: String) {
        guard violations.count < Checker.causalViolationsReportedMax else { return }
        violations.append(CausalViolation(kind: kind, key: key, operations: Array(Set(operations)).sorted(), explanation: explanation))
    }

    func describe(_ index: Int) -> String {
        let operation = history[index]
        return "\(operation.summary) (operation \(index), process \(operation.process))"
    }

    /// A shortest chain of causal edges from one operation to another, for explanations.
    func chain(from: Int, to: Int) -> String {
        let (source, target) = (node[from]!, node[to]!)
        var via = [Int](repeating: -1, count: operationOf.count)
        var queue = [source]
        var head = 0
        via[source] = source
        while head < queue.count {
            let current = queue[head]
            head += 1
            if current == target { break }
            for next in successors[current] where via[next] < 0 {
                via[next] = current
                queue.append(next)
            }
        }
        guard via[target] >= 0 else { return "(no chain found)" }
        var steps: [String] = []
        var current = target
        while current != source {
            let previous = via[current]
            steps.append("\(describe(operationOf[previous])) → [\(reason[previous]?[current] ?? "")] → \(describe(operationOf[current]))")
            current = previous
        }
        return steps.reversed().joined(separator: "; ")
    }
}

/// A fixed-size set of small integers, as bits.
struct BitRow {
    private var words: [UInt64]

    init(count: Int) {
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    func contains(_ index: Int) -> Bool {
        words[index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    mutating func insert(_ index: Int) {
        words[index >> 6] |= 1 << UInt64(index & 63)
    }

    mutating func formUnion(_ other: BitRow) {
        for index in words.indices { words[index] |= other.words[index] }
    }
}
