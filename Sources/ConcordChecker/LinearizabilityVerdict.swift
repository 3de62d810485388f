/// The answer of a linearizability check.
public enum LinearizabilityVerdict: Sendable, Hashable, CustomStringConvertible {
    /// Some order of the operations, consistent with real time, satisfies
    /// the model.
    case linearizable
    /// No order does; the failure says where the search got furthest.
    case notLinearizable(LinearizabilityFailure)
    /// The budget ran out before the search could decide.
    case unknown(reason: String)

    /// Whether the verdict is ``linearizable``.
    public var isLinearizable: Bool {
        if case .linearizable = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .linearizable: "linearizable"
        case .notLinearizable(let failure): "not linearizable: \(failure.explanation)"
        case .unknown(let reason): "unknown: \(reason)"
        }
    }
}

/// Where and why a history is not linearizable.
public struct LinearizabilityFailure: Sendable, Hashable {
    /// The key whose operations cannot be ordered (`nil` when the model was
    /// checked without partitioning).
    public var key: String?
    /// The longest prefix of a linearization the search found, as operation
    /// ids in order.
    public var partialLinearization: [Int]
    /// The operation that cannot be placed after that prefix: the earliest
    /// to complete among those left.
    public var blockedOperation: Int?
    /// The model's state after the partial linearization.
    public var state: String
    /// A readable account of which operation cannot be placed and why.
    public var explanation: String
}

/// The full result of a linearizability check: the verdict and, for each
/// partition, what the search found.
public struct LinearizabilityAnalysis: Sendable {
    /// The verdict for the whole history: not linearizable if any partition
    /// is not, otherwise unknown if any partition is unknown.
    public var verdict: LinearizabilityVerdict
    /// One entry per partition (per key for kv histories), in order of each
    /// key's first invocation.
    public var partitions: [PartitionAnalysis]

    /// The linearization found for `key`, as operation ids in order.
    public func linearization(of key: String?) -> [Int]? {
        partitions.first { $0.key == key }?.linearization
    }
}

/// What the search found in one partition.
public struct PartitionAnalysis: Sendable {
    /// The partition's key (`nil` when unpartitioned).
    public var key: String?
    /// The partition's verdict.
    public var verdict: LinearizabilityVerdict
    /// The order found, as operation ids, when the verdict is linearizable.
    /// `info` operations left out of the order did not take effect in it.
    public var linearization: [Int]?
    /// The number of search steps taken.
    public var searchSteps: Int
}
