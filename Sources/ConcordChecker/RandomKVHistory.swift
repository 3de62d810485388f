import ConcordFoundation

/// Histories recorded from a correct single-copy key-value store under
/// random concurrency: a known-good input for testing and benchmarking the
/// checkers.
///
/// Each process invokes an operation, the operation takes effect on the one
/// copy at a random later moment, and the process later learns the result.
/// Some operations end indeterminately (`info`): they may or may not have
/// taken effect, and their process is replaced by a fresh one, as in Jepsen.
/// Written values are unique per key.
public struct RandomKVHistory: Sendable {
    /// The shape of the histories to generate.
    public struct Shape: Sendable, Hashable {
        /// How many operations to invoke.
        public var operations: Int
        /// How many keys they touch.
        public var keys: Int
        /// How many processes run at once.
        public var processes: Int
        /// Out of 1000 operations, how many end `info`.
        public var infoPerMille: Int

        /// Creates a shape.
        public init(operations: Int, keys: Int, processes: Int, infoPerMille: Int = 10) {
            precondition(operations >= 0 && keys > 0 && processes > 0 && (0...1000).contains(infoPerMille))
            self.operations = operations
            self.keys = keys
            self.processes = processes
            self.infoPerMille = infoPerMille
        }
    }

    private enum Phase { case invoked, applied }

    private struct Pending {
        var process: Int
        var function: HistoryEvent.Function
        var key: String
        var value: String?
        var expected: String?
        var phase: Phase
        var outcome: HistoryEvent.Kind = .ok
        var result: String?
    }

    /// Generates the events of one history.
    /// - Parameters:
    ///   - shape: its size and concurrency.
    ///   - seed: the seed every random choice derives from.
    /// - Returns: the events, valid for ``History/init(_:)``.
    public static func events(_ shape: Shape, seed: UInt64) -> [HistoryEvent] {
        var random = SplitMix64(seed: seed)
        var store: [String: String] = [:]
        var written: [String: [String]] = [:]
        var events: [HistoryEvent] = []
        var pending: [Pending] = []
        var idle = Array(0..<shape.processes)
        var nextProcess = shape.processes
        var invoked = 0
        var writes = 0
        var time: Int64 = 0

        while invoked < shape.operations || !pending.isEmpty {
            time += Int64.random(in: 1...3, using: &random)
            let canInvoke = invoked < shape.operations && !idle.isEmpty
            if canInvoke && (pending.isEmpty || Int.random(in: 0..<3, using: &random) == 0) {
                let process = idle.remove(at: Int.random(in: 0..<idle.count, using: &random))
                let key = "k\(Int.random(in: 0..<shape.keys, using: &random))"
                var operation = Pending(process: process, function: .get, key: key, phase: .invoked)
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<4: operation.function = .get
                case 4..<7:
                    operation.function = .put
                    writes += 1
                    operation.value = "v\(writes)"
                case 7:
                    operation.function = .delete
                default:
                    operation.function = .cas
                    writes += 1
                    operation.value = "v\(writes)"
                    let seen = written[key, default: []]
                    operation.expected = seen.isEmpty || Int.random(in: 0..<2, using: &random) == 0
                        ? store[key] : seen.randomElement(using: &random)
                }
                invoked += 1
                pending.append(operation)
                events.append(HistoryEvent(process: process, kind: .invoke, function: operation.function, key: key,
                                           value: operation.value, expected: operation.expected, time: time))
                continue
            }
            let index = Int.random(in: 0..<pending.count, using: &random)
            if pending[index].phase == .invoked {
                // The operation takes effect on the single copy, unless it is
                // one that will end indeterminately without having done so.
                if Int.random(in: 0..<1000, using: &random) < shape.infoPerMille {
                    pending[index].outcome = .info
                    if Bool.random(using: &random) {
                        pending[index].phase = .applied
                        continue
                    }
                } else {
                    apply(&pending[index], to: &store, written: &written)
                }
                pending[index].phase = .applied
                continue
            }
            let done = pending.remove(at: index)
            events.append(HistoryEvent(process: done.process, kind: done.outcome, function: done.function, key: done.key,
                                       value: done.function == .get ? done.result : done.value,
                                       expected: done.expected, time: time))
            if done.outcome == .info {
                idle.append(nextProcess)
                nextProcess += 1
            } else {
                idle.append(done.process)
            }
        }
        return events
    }

    private static func apply(_ operation: inout Pending, to store: inout [String: String], written: inout [String: [String]]) {
        let key = operation.key
        switch operation.function {
        case .get:
            operation.result = store[key]
        case .put:
            store[key] = operation.value
            written[key, default: []].append(operation.value!)
        case .delete:
            store[key] = nil
        case .cas:
            if store[key] == operation.expected {
                store[key] = operation.value
                written[key, default: []].append(operation.value!)
            } else if operation.outcome == .ok {
                operation.outcome = .fail
            }
        }
    }
}
