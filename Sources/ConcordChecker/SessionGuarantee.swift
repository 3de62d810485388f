/// The session guarantees of Terry et al., "Session guarantees for weakly
/// consistent replicated data" (PDIS 1994), as constraints on the order in
/// which each key's versions were written.
public enum SessionGuarantee: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// A read by a process reflects that process's earlier writes to the key.
    case readYourWrites = "read-your-writes"
    /// A process's successive reads of a key never go back to an older version.
    case monotonicReads = "monotonic-reads"
    /// A process's writes take effect in the order it issued them.
    case monotonicWrites = "monotonic-writes"
    /// A write is ordered after the writes its process had read before it.
    case writesFollowReads = "writes-follow-reads"

    public var description: String { rawValue }

    public static func < (lhs: SessionGuarantee, rhs: SessionGuarantee) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A set of constraints on one key's version order that no order satisfies.
public struct SessionViolation: Sendable, Hashable {
    /// The guarantees whose constraints form the contradiction.
    public var guarantees: [SessionGuarantee]
    /// The key whose versions cannot be ordered.
    public var key: String
    /// The operations involved, by id, ascending.
    public var operations: [Int]
    /// A readable account: each constraint of the cycle and where it comes from.
    public var explanation: String
}

/// The result of a session-guarantee check.
public struct SessionReport: Sendable {
    /// The guarantees that were checked.
    public var checked: Set<SessionGuarantee>
    /// The contradictions found (at most ``Checker/sessionViolationsReportedMax``).
    public var violations: [SessionViolation]

    /// Whether no violation was found.
    public var holds: Bool { violations.isEmpty }

    /// Whether some violation involves `guarantee`.
    public func violates(_ guarantee: SessionGuarantee) -> Bool {
        violations.contains { $0.guarantees.contains(guarantee) }
    }
}

/// Why a history cannot be checked for session guarantees.
public enum SessionCheckError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Two writes put the same value on one key, so a read cannot tell which
    /// it saw.
    case duplicateWrite(key: String, value: String, operations: [Int])

    public var description: String {
        switch self {
        case .duplicateWrite(let key, let value, let operations):
            "operations \(operations.map(String.init).joined(separator: " and ")) both write \(quoted(value)) to \(key); session guarantees are checked only when written values are unique per key"
        }
    }
}

extension Checker {
    /// The most violations a session-guarantee check reports.
    public static let sessionViolationsReportedMax = 50
}
