/// One operation of a history of a store that may return several values
/// per read (concurrent versions, as siblings): the input of
/// ``checkCausalConsistency(_:)``.
///
/// Operations of one process appear in the order the process issued them;
/// a process issues one operation at a time.
public struct CausalOperation: Sendable, Hashable {
    /// What the operation did.
    public enum Action: Sendable, Hashable {
        /// Wrote `value` to the key, superseding whatever the writer's
        /// causal past holds of the key. Values are unique per key.
        case write(value: String)
        /// Read the key and found these concurrent values (empty: none).
        case read(values: Set<String>)
    }

    /// How the operation ended.
    public enum Outcome: String, Sendable, Hashable {
        /// It happened with the recorded result.
        case ok
        /// It may or may not have happened (a write that timed out). Its
        /// value may be read; it orders nothing after it in its process.
        case info
        /// It did not happen; the checker ignores it.
        case fail
    }

    /// The process (session) that issued it.
    public var process: Int
    /// The key.
    public var key: String
    /// What it did.
    public var action: Action
    /// How it ended.
    public var outcome: Outcome

    /// An operation.
    public init(process: Int, key: String, action: Action, outcome: Outcome = .ok) {
        self.process = process
        self.key = key
        self.action = action
        self.outcome = outcome
    }

    /// A short account such as `write(x, "1")` or `read(x) → {"1", "2"}`.
    public var summary: String {
        switch action {
        case .write(let value): "write(\(key), \(quoted(value)))"
        case .read(let values): "read(\(key)) → {" + values.sorted().map { quoted($0) }.joined(separator: ", ") + "}"
        }
    }
}

/// A pattern that no causally consistent store produces (after Bouajjani,
/// Enea, Guerraoui, Hamza, "On Verifying Causal Consistency", POPL 2017,
/// §4, for stores whose reads return every concurrent value).
public enum CausalViolationKind: String, Sendable, Hashable, CaseIterable {
    /// A read returned a value no operation wrote.
    case thinAirRead = "thin-air read"
    /// The causal order has a cycle: an operation depends on its own effect.
    case cyclicCausalOrder = "cyclic causal order"
    /// A read returned a value that, in its own causal past, was already
    /// overwritten by another write of the key.
    case overwrittenValueRead = "overwritten value read"
    /// A read missed a write of the key in its causal past: neither that
    /// write nor any write after it was returned.
    case causalPastMissed = "causal past missed"
}

/// One violation found.
public struct CausalViolation: Sendable, Hashable {
    /// The pattern.
    public var kind: CausalViolationKind
    /// The key.
    public var key: String
    /// The operations involved (indices into the history), ascending.
    public var operations: [Int]
    /// A readable account, including the chain of causality.
    public var explanation: String
}

/// The result of a causal-consistency check.
public struct CausalReport: Sendable {
    /// The operations checked (ok reads, ok and info writes).
    public var operationsChecked: Int
    /// The violations found (at most ``Checker/causalViolationsReportedMax``).
    public var violations: [CausalViolation]

    /// Whether no violation was found.
    public var holds: Bool { violations.isEmpty }
}

/// Why a history cannot be checked for causal consistency.
public enum CausalCheckError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Two writes put the same value on one key.
    case duplicateWrite(key: String, value: String, operations: [Int])
    /// The history has more operations than the checker accepts.
    case tooLarge(operations: Int, maximum: Int)

    public var description: String {
        switch self {
        case .duplicateWrite(let key, let value, let operations):
            "operations \(operations.map(String.init).joined(separator: " and ")) both write \(quoted(value)) to \(key); causal consistency is checked only when written values are unique per key"
        case .tooLarge(let operations, let maximum):
            "\(operations) operations; causal consistency is checked for at most \(maximum)"
        }
    }
}

extension Checker {
    /// The most violations a causal-consistency check reports.
    public static let causalViolationsReportedMax = 50
    /// The most operations a causal-consistency check accepts (the causal
    /// order is kept as a bit matrix, quadratic in this).
    public static let causalConsistencyOperationsMax = 20_000
}
