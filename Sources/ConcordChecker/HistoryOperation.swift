/// One operation of a ``History``: an invocation paired with its completion.
///
/// Operations are numbered by their invocation order: `id` is the index in
/// ``History/operations``, and every verdict names operations by this id.
public struct HistoryOperation: Sendable, Hashable {
    /// How an operation ended.
    public enum Outcome: String, Sendable, Hashable {
        /// It took effect, with the recorded result.
        case ok
        /// It did not take effect; the checkers drop it.
        case fail
        /// It may or may not have taken effect: it completed `info`, or the
        /// history ended while it was still open.
        case info
    }

    /// The index of this operation in ``History/operations``.
    public var id: Int
    /// The process that issued it.
    public var process: Int
    /// Its function.
    public var function: HistoryEvent.Function
    /// The key it touches.
    public var key: String
    /// For `put` and `cas`, the value written.
    public var value: String?
    /// For `cas`, the value the key had to hold (`nil` meaning absent).
    public var expected: String?
    /// For a `get` that completed `ok`, the value read (`nil` when absent).
    public var result: String?
    /// How it ended.
    public var outcome: Outcome
    /// The index of its `invoke` event.
    public var invokeIndex: Int
    /// The index of its completion event; `nil` if it never completed.
    public var completionIndex: Int?
    /// The time of its `invoke` event.
    public var invokeTime: Int64
    /// The time of its completion; `nil` if it never completed.
    public var completionTime: Int64?

    /// A short account such as `put(x, "1")` or `get(x) → "2"`.
    public var summary: String {
        let call: String
        switch function {
        case .get: call = "get(\(key))"
        case .put: call = "put(\(key), \(quoted(value)))"
        case .delete: call = "delete(\(key))"
        case .cas: call = "cas(\(key), \(quoted(expected)) → \(quoted(value)))"
        }
        switch outcome {
        case .ok where function == .get: return "\(call) → \(quoted(result))"
        case .ok: return call
        case .fail: return "\(call) failed"
        case .info: return "\(call) ?"
        }
    }
}

/// A value as it appears in accounts: quoted, or `nil` for absent.
func quoted(_ value: String?) -> String {
    guard let value else { return "nil" }
    return "\"\(value)\""
}
