import ConcordClocks
import ConcordSimulation

/// Checks a run's Lamport and vector stamps against the true causal order.
///
/// The true order is program order on each process plus an edge from every
/// send to every receipt of its message (Lamport 1978, §2): the checker
/// builds each event's causal past as a bit set from those edges alone,
/// never from the clocks. Then, for every pair of distinct events:
/// - if a happened before b, Lamport's clock condition demands L(a) < L(b);
/// - vector clocks must say `.before` exactly when a happened before b,
///   `.after` exactly when b happened before a, and `.concurrent` otherwise
///   (Fidge 1988; Mattern 1989);
/// - concurrent pairs that Lamport stamps nevertheless order (L(a) ≠ L(b))
///   are counted: they are what Lamport clocks cannot tell from causality.
struct CausalityCheck {
    /// The most examples of each kind kept for the verdict and timeline.
    static let examplesMax = 5

    var events = 0
    var orderedPairs = 0
    var concurrentPairs = 0
    /// Concurrent pairs with different Lamport stamps.
    var lamportOrderedConcurrentPairs = 0
    var lamportViolations = 0
    var vectorMismatches = 0
    var lamportViolationExamples: [String] = []
    var vectorMismatchExamples: [String] = []
    var lamportOrderedConcurrentExamples: [String] = []
    /// The events of the pairs found wrong, by name (`n2.e5`).
    var offendingEvents: Set<String> = []

    var passed: Bool { lamportViolations == 0 && vectorMismatches == 0 }

    init(_ processes: [[CausalEvent]]) {
        let all = processes.flatMap { $0 }
        events = all.count
        var position: [String: Int] = [:]
        for (index, event) in all.enumerated() { position[event.name] = index }
        let words = (all.count + 63) / 64
        var past = [[UInt64]?](repeating: nil, count: all.count)

        func set(_ bits: inout [UInt64], _ index: Int) { bits[index / 64] |= 1 << UInt64(index % 64) }
        func union(_ bits: inout [UInt64], _ other: [UInt64]) {
            for word in 0..<words { bits[word] |= other[word] }
        }
        // Pasts in an order where every predecessor comes first: an event's
        // predecessors are its process's previous event and, for a receipt,
        // the send, which happened strictly earlier in true time.
        let order = all.indices.sorted {
            (all[$0].trueTime, all[$0].node, all[$0].index) < (all[$1].trueTime, all[$1].node, all[$1].index)
        }
        for index in order {
            let event = all[index]
            var bits = [UInt64](repeating: 0, count: words)
            if event.index > 0, let previous = position["n\(event.node).e\(event.index - 1)"] {
                union(&bits, past[previous] ?? [])
                set(&bits, previous)
            }
            if case .receive(let from, let sendIndex) = event.kind, let send = position["n\(from).e\(sendIndex)"] {
                precondition(past[send] != nil, "a receipt handled before its send")
                union(&bits, past[send]!)
                set(&bits, send)
            }
            past[index] = bits
        }
        func happenedBefore(_ a: Int, _ b: Int) -> Bool { past[b]![a / 64] & (1 << UInt64(a % 64)) != 0 }

        for a in all.indices {
            for b in (a + 1)..<all.count {
                let first = all[a], second = all[b]
                let truth: CausalOrder =
                    happenedBefore(a, b) ? .before : happenedBefore(b, a) ? .after : .concurrent
                func pair() -> String {
                    "\(first.name) (L\(first.lamport) \(first.vector)) and \(second.name) (L\(second.lamport) \(second.vector))"
                }
                switch truth {
                case .before, .after:
                    orderedPairs += 1
                    let (earlier, later) = truth == .before ? (first, second) : (second, first)
                    if earlier.lamport >= later.lamport {
                        lamportViolations += 1
                        offendingEvents.formUnion([earlier.name, later.name])
                        if lamportViolationExamples.count < Self.examplesMax {
                            lamportViolationExamples.append(
                                "\(earlier.name) happened before \(later.name) but L\(earlier.lamport) ≥ L\(later.lamport)")
                        }
                    }
                default:
                    concurrentPairs += 1
                    if first.lamport != second.lamport {
                        lamportOrderedConcurrentPairs += 1
                        if lamportOrderedConcurrentExamples.count < Self.examplesMax {
                            lamportOrderedConcurrentExamples.append("\(pair()) are concurrent")
                        }
                    }
                }
                let claimed = first.vector.compare(second.vector)
                if claimed != truth {
                    vectorMismatches += 1
                    offendingEvents.formUnion([first.name, second.name])
                    if vectorMismatchExamples.count < Self.examplesMax {
                        vectorMismatchExamples.append("\(pair()): vectors say \(claimed), truth is \(truth)")
                    }
                }
            }
        }
    }
}
