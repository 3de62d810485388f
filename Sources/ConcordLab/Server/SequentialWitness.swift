import ConcordChecker
import ConcordKV

/// Proves a key-value history sequentially consistent by exhibiting the
/// order: the store's own sequence of revisions, with each read and each
/// write that changed nothing placed just after the revision it was served
/// at. The history is sequentially consistent if, in that order,
///
/// - every client's operations appear in the order the client issued them
///   (its revisions never go back, and a write never shares a revision
///   with an earlier read of the same client), and
/// - every operation's answer is what the store held at its place: a read
///   returns the value at its revision, a write is the change the store
///   recorded at its revision, a compare-and-swap swapped exactly when the
///   value before it matched, a delete that deleted nothing found nothing.
///
/// The store's sequence itself is a legal key-value sequence by
/// construction (one change per revision, read from a replica the scenario
/// checks against the others). This is a check with a witness: it accepts
/// only what it proves; it does not search other orders, so a refusal
/// means "no witness in the store's order". That is enough where each
/// client stays with one member: its member applies the log in order and
/// answers a write only after applying it. ``checkSequentialConsistency``
/// searches every interleaving but only up to 200 operations; a matrix run
/// has thousands.
struct SequentialWitness {
    /// What an operation's answer said.
    enum Outcome: Sendable, Hashable {
        /// A get returned this value (nil: no such key).
        case read(String?)
        /// A put, a delete that deleted, or a compare-and-swap that swapped.
        case wrote
        /// A delete of an absent key, or a compare-and-swap that did not swap.
        case changedNothing
    }

    /// One answered operation of a client, with the revision in its answer.
    struct Observation: Sendable, Hashable {
        var function: HistoryEvent.Function
        var key: String
        /// The value written (puts and compare-and-swaps).
        var value: String?
        /// A compare-and-swap's expected value (nil: the key must be absent).
        var expected: String?
        var outcome: Outcome
        var revision: Int64
    }

    /// Every key's values by revision: (revision, value or nil when deleted).
    private var versions: [String: [(revision: Int64, value: String?)]] = [:]
    /// The change the store recorded at each revision.
    private var changes: [Int64: (key: String, value: String?)] = [:]

    /// Reads the store's history of every key.
    /// - Precondition: nothing compacted (the history is complete).
    init(store: MVCCStore) {
        let events = store.events(key: [0], rangeEnd: [0], revisions: 1...max(1, store.currentRevision))
        for event in events {
            let key = String(decoding: event.kv.key, as: UTF8.self)
            let value: String? = event.kind == .put ? String(decoding: event.kv.value, as: UTF8.self) : nil
            versions[key, default: []].append((event.revision, value))
            changes[event.revision] = (key, value)
        }
    }

    /// The key's value at `revision`.
    func value(of key: String, at revision: Int64) -> String? {
        versions[key]?.last { $0.revision <= revision }?.value ?? nil
    }

    /// The failures, empty when the order is a witness. `clients` holds
    /// each client's observations in the order it issued them.
    func check(_ clients: [(client: Int, observations: [Observation])]) -> [String] {
        var failures: [String] = []
        for (client, observations) in clients {
            var last: (revision: Int64, isRead: Bool)?
            for (number, observation) in observations.enumerated() {
                let isRead = observation.outcome != .wrote
                if let last, observation.revision < last.revision || (observation.revision == last.revision && !isRead) {
                    failures.append(
                        "c\(client) operation \(number) (\(observation.function) \(observation.key) at revision \(observation.revision)) "
                            + "comes before its predecessor at revision \(last.revision) in the store's order")
                }
                last = (observation.revision, isRead)
                if let problem = verify(observation) { failures.append("c\(client) operation \(number): \(problem)") }
            }
        }
        return failures
    }

    private func verify(_ observation: Observation) -> String? {
        let key = observation.key
        let revision = observation.revision
        let what = "\(observation.function) \(key) at revision \(revision)"
        switch (observation.function, observation.outcome) {
        case (.get, .read(let returned)):
            let held = value(of: key, at: revision)
            return held == returned ? nil : "\(what) returned \(returned ?? "nothing"); the store held \(held ?? "nothing")"
        case (.put, .wrote), (.cas, .wrote), (.delete, .wrote):
            let expectedValue = observation.function == .delete ? nil : observation.value
            guard let change = changes[revision], change.key == key, change.value == expectedValue else {
                return "\(what) was acknowledged but the store's change at that revision is \(changes[revision].map { "\($0.key)=\($0.value ?? "deleted")" } ?? "none")"
            }
            if observation.function == .cas, value(of: key, at: revision - 1) != observation.expected {
                return "\(what) swapped although the value before it was not \(observation.expected ?? "absent")"
            }
            if observation.function == .delete, value(of: key, at: revision - 1) == nil {
                return "\(what) deleted a key that was absent"
            }
            return nil
        case (.cas, .changedNothing):
            return value(of: key, at: revision) == observation.expected
                ? "\(what) did not swap although the value matched \(observation.expected ?? "absent")" : nil
        case (.delete, .changedNothing):
            return value(of: key, at: revision) == nil ? nil : "\(what) deleted nothing although the key held a value"
        default:
            return "\(what) answered \(observation.outcome), which the workload does not produce"
        }
    }
}
