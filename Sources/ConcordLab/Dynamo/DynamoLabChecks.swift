import ConcordChecker
import ConcordDynamo
import ConcordSimulation

/// The checks of a Dynamo lab run's outcome, once the members converged.
enum DynamoLabChecks {
    /// No acknowledged write is lost and no superseded value comes back, on
    /// the sibling keys.
    ///
    /// A value written by an acknowledged `put` must be among the final
    /// siblings, unless some write of the key (acknowledged or not) was made
    /// in a context that covered it: its writer had seen the value (the
    /// only way a context comes to cover a version) and so may supersede
    /// it. Conversely, a value superseded by an *acknowledged* write or
    /// deletion must not be among the final siblings: that write reached
    /// W replicas and carries the context that removes it everywhere.
    ///
    /// In causal mode a write's context also covers what its writer depends
    /// on through other keys, so "may supersede" becomes "is in the causal
    /// past of" (``causalPast(_:)``).
    static func lostAndResurrected(
        _ records: [DynamoLabRecord], key: String, final: StoredObject?, causal: CausalReach? = nil
    ) -> [String] {
        var finalValues: Set<String> = []
        switch final?.value {
        case .siblings(let siblings)?:
            finalValues = Set(siblings.siblings.compactMap { $0.value.bytes?.text })
        case nil:
            break
        case let other?:
            return ["\(key) ended as a \(other.kind), not siblings"]
        }
        let writes = records.filter { $0.operation.key == key && $0.operation.action.isWrite && $0.outcome != .fail }
        var problems: [String] = []
        for record in writes where record.outcome == .ok {
            guard case .put(let value) = record.operation.action, !finalValues.contains(value) else { continue }
            let superseded = writes.contains { other in
                other.operation.action != record.operation.action
                    && (other.operation.known.contains(value) || causal?.precedes(value, other) == true)
            }
            if !superseded {
                problems.append("acknowledged write \(key)=\(value) (c\(record.client) at \(record.completed!)) is lost")
            }
        }
        for value in finalValues.sorted() {
            if let superseder = writes.first(where: { other in
                other.outcome == .ok && other.operation.action != .put(value)
                    && (other.operation.known.contains(value) || causal?.precedes(value, other) == true)
            }) {
                problems.append("\(key)=\(value) came back after c\(superseder.client)'s acknowledged \(superseder.operation.action) superseded it at \(superseder.completed!)")
            }
        }
        return problems
    }

    /// A counter ends between the sum of acknowledged increments and the sum
    /// of all increments that may have happened.
    static func counter(_ records: [DynamoLabRecord], key: String, final: StoredObject?) -> [String] {
        var value: Int64 = 0
        if case .counter(let counter)? = final?.value { value = counter.value } else if final != nil {
            return ["\(key) ended as a \(final!.kind), not a counter"]
        }
        var acknowledged: Int64 = 0
        var possible: Int64 = 0
        for record in records where record.operation.key == key && record.outcome != .fail {
            guard case .increment(let amount) = record.operation.action else { continue }
            possible += amount
            if record.outcome == .ok { acknowledged += amount }
        }
        guard value >= acknowledged && value <= possible else {
            return ["counter \(key) ended at \(value); acknowledged increments add to \(acknowledged), all increments to \(possible)"]
        }
        return []
    }

    /// An OR-set holds only elements that were added, and every element
    /// added with acknowledgement and never removed.
    static func set(_ records: [DynamoLabRecord], key: String, final: StoredObject?) -> [String] {
        var elements: Set<String> = []
        if case .set(let set)? = final?.value { elements = Set(set.elements.map(\.text)) } else if final != nil {
            return ["\(key) ended as a \(final!.kind), not a set"]
        }
        var added: Set<String> = []
        var acknowledged: Set<String> = []
        var removed: Set<String> = []
        for record in records where record.operation.key == key && record.outcome != .fail {
            switch record.operation.action {
            case .add(let element):
                added.insert(element)
                if record.outcome == .ok { acknowledged.insert(element) }
            case .remove(let element):
                removed.insert(element)
            default:
                break
            }
        }
        var problems: [String] = []
        for element in elements.subtracting(added).sorted() { problems.append("set \(key) holds \(element), never added") }
        for element in acknowledged.subtracting(removed).subtracting(elements).sorted() {
            problems.append("set \(key) lost \(element), added with acknowledgement and never removed")
        }
        return problems
    }

    /// The session-guarantee checker's history of some keys: puts, and gets
    /// reading the representative of their siblings (see ``DynamoLabValue``).
    /// A put's reply shows the coordinator's copy after the write, which the
    /// session takes in as a read does: it appears as a get right after the put.
    static func sessionHistory(_ records: [DynamoLabRecord], keys: Set<String>) -> [HistoryEvent] {
        var byProcess: [Int: [(time: Int64, rank: Int, event: HistoryEvent)]] = [:]
        for record in records where keys.contains(record.operation.key) {
            let key = record.operation.key
            let function: HistoryEvent.Function
            var written: String?
            switch record.operation.action {
            case .get: function = .get
            case .put(let value):
                function = .put
                written = value
            default: continue
            }
            var events = byProcess[record.process, default: []]
            let invoked = record.invoked.nanoseconds
            events.append((invoked, 0, HistoryEvent(
                process: record.process, kind: .invoke, function: function, key: key, value: written, time: invoked)))
            if let completed = record.completed?.nanoseconds {
                let kind: HistoryEvent.Kind
                var value = written
                switch record.outcome {
                case .ok:
                    kind = .ok
                    if case .values(let values, _)? = record.result, function == .get {
                        value = DynamoLabValue.representative(values)
                    }
                case .fail: kind = .fail
                case .info: kind = .info
                }
                events.append((completed, 1, HistoryEvent(
                    process: record.process, kind: kind, function: function, key: key, value: value, time: completed)))
                if case .written(let shown)? = record.result, record.outcome == .ok {
                    let representative = DynamoLabValue.representative(shown)
                    events.append((completed, 1, HistoryEvent(process: record.process, kind: .invoke, function: .get, key: key, time: completed)))
                    events.append((completed, 1, HistoryEvent(
                        process: record.process, kind: .ok, function: .get, key: key, value: representative, time: completed)))
                }
            }
            byProcess[record.process] = events
        }
        return mergeInTimeOrder(byProcess)
    }

    /// Merges each process's events (in their own order) into one history
    /// in time order; at equal times invocations come first, so no real-time
    /// order between processes is invented, and each process keeps its order.
    static func mergeInTimeOrder(_ byProcess: [Int: [(time: Int64, rank: Int, event: HistoryEvent)]]) -> [HistoryEvent] {
        let processes = byProcess.keys.sorted()
        var heads = [Int](repeating: 0, count: processes.count)
        var merged: [HistoryEvent] = []
        while true {
            var best: Int?
            for (index, process) in processes.enumerated() where heads[index] < byProcess[process]!.count {
                let candidate = byProcess[process]![heads[index]]
                if let current = best {
                    let chosen = byProcess[processes[current]]![heads[current]]
                    if (candidate.time, candidate.rank) < (chosen.time, chosen.rank) { best = index }
                } else {
                    best = index
                }
            }
            guard let best else { return merged }
            merged.append(byProcess[processes[best]]![heads[best]].event)
            heads[best] += 1
        }
    }

    /// Session guarantees, key by key (across keys they need causal mode),
    /// or over all keys together when `acrossKeys`.
    static func sessions(_ records: [DynamoLabRecord], keys: [String], acrossKeys: Bool = false) -> [String] {
        var problems: [String] = []
        let groups: [Set<String>] = acrossKeys ? [Set(keys)] : keys.map { [$0] }
        for group in groups {
            do {
                let history = try History(sessionHistory(records, keys: group))
                let report = try checkSessionGuarantees(history)
                if let violation = report.violations.first {
                    problems.append(violation.explanation.replacingOccurrences(of: "\n", with: " "))
                }
            } catch {
                problems.append("session history of \(group.sorted()) not checkable: \(error)")
            }
        }
        return problems
    }

    /// Every key's records as one causal-checker history. A client's
    /// session (its token) survives a write of unknown outcome, so each
    /// client is one process here (the causal checker lets an `info` write
    /// order nothing after it).
    static func causalHistory(_ records: [DynamoLabRecord]) -> [CausalOperation] {
        records.sorted { ($0.invoked.nanoseconds, $0.client) < ($1.invoked.nanoseconds, $1.client) }.map { record -> [CausalOperation] in
            let outcome: CausalOperation.Outcome = switch record.outcome {
            case .ok: .ok
            case .info: .info
            case .fail: .fail
            }
            switch record.operation.action {
            case .put(let value):
                let write = CausalOperation(process: record.client, key: record.operation.key, action: .write(value: value), outcome: outcome)
                // The reply shows the coordinator's copy after the write: a read.
                guard record.outcome == .ok, case .written(let shown)? = record.result else { return [write] }
                return [write, CausalOperation(process: record.client, key: record.operation.key, action: .read(values: Set(shown)))]
            case .get:
                guard case .values(let values, _)? = record.result else {
                    return [CausalOperation(process: record.client, key: record.operation.key, action: .read(values: []), outcome: .fail)]
                }
                return [CausalOperation(process: record.client, key: record.operation.key, action: .read(values: Set(values)), outcome: outcome)]
            default:
                return []
            }
        }.flatMap { $0 }
    }
}

/// The causal order of a lab history (process order and reads-from, a
/// write's reply counting as a read of the copy it shows), for telling
/// whether a value is in the causal past of a write.
struct CausalReach {
    /// Put value → the values of writes reachable from it, by key.
    private var reachableWrites: [String: Set<String>] = [:]

    init(_ records: [DynamoLabRecord]) {
        // Nodes: each record's operation, then (for an acknowledged put) its
        // reply read.
        var writeNode: [String: Int] = [:]
        var writeValueOf: [Int: String] = [:]
        var readValues: [Int: [String]] = [:]
        var successors: [[Int]] = []
        var lastNodeOfProcess: [Int: Int] = [:]
        func addNode() -> Int {
            successors.append([])
            return successors.count - 1
        }
        for record in records.sorted(by: { ($0.invoked.nanoseconds, $0.client) < ($1.invoked.nanoseconds, $1.client) }) {
            guard record.outcome != .fail else { continue }
            var nodes: [Int] = []
            switch record.operation.action {
            case .put(let value):
                let node = addNode()
                writeNode[record.operation.key + "\u{0}" + value] = node
                writeValueOf[node] = record.operation.key + "\u{0}" + value
                nodes.append(node)
                if record.outcome == .ok, case .written(let shown)? = record.result {
                    let reply = addNode()
                    readValues[reply] = shown.map { record.operation.key + "\u{0}" + $0 }
                    nodes.append(reply)
                }
            case .get:
                guard record.outcome == .ok, case .values(let values, _)? = record.result else { continue }
                let node = addNode()
                readValues[node] = values.map { record.operation.key + "\u{0}" + $0 }
                nodes.append(node)
            default:
                continue
            }
            // A client's session survives an unknown outcome: one process per client.
            if let previous = lastNodeOfProcess[record.client] { successors[previous].append(nodes[0]) }
            for (first, second) in zip(nodes, nodes.dropFirst()) { successors[first].append(second) }
            // An info write orders nothing after it in its process.
            if record.outcome == .ok { lastNodeOfProcess[record.client] = nodes.last! }
        }
        for (node, values) in readValues {
            for value in values {
                if let write = writeNode[value] { successors[write].append(node) }
            }
        }
        for (value, start) in writeNode {
            var seen: Set<Int> = [start]
            var queue = [start]
            var reached: Set<String> = []
            while let node = queue.popLast() {
                for next in successors[node] where seen.insert(next).inserted {
                    queue.append(next)
                    if let written = writeValueOf[next] { reached.insert(written) }
                }
            }
            reachableWrites[value] = reached
        }
    }

    /// Whether the put of `value` (to `other`'s key) causally precedes the
    /// write `other`.
    func precedes(_ value: String, _ other: DynamoLabRecord) -> Bool {
        let key = other.operation.key
        guard case .put(let written) = other.operation.action else { return false }
        return reachableWrites[key + "\u{0}" + value]?.contains(key + "\u{0}" + written) ?? false
    }
}
