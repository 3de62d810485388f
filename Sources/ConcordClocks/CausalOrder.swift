/// How two causal histories (vector clocks, version vectors) relate.
public enum CausalOrder: Hashable, Sendable {
    /// The left history is strictly contained in the right one: it happened before.
    case before
    /// The left history strictly contains the right one: it happened after.
    case after
    /// Both histories are the same.
    case equal
    /// Neither contains the other: the events are concurrent.
    case concurrent

    /// The relation seen from the other side.
    public var reversed: CausalOrder {
        switch self {
        case .before: .after
        case .after: .before
        case .equal: .equal
        case .concurrent: .concurrent
        }
    }
}

/// Compares two maps from replica to counter, where a missing entry is 0.
func compareCounters(_ lhs: [ReplicaID: UInt64], _ rhs: [ReplicaID: UInt64]) -> CausalOrder {
    var lhsAhead = false
    var rhsAhead = false
    for (replica, counter) in lhs {
        let other = rhs[replica] ?? 0
        if counter > other { lhsAhead = true } else if counter < other { rhsAhead = true }
    }
    for (replica, counter) in rhs where lhs[replica] == nil && counter > 0 {
        rhsAhead = true
    }
    switch (lhsAhead, rhsAhead) {
    case (false, false): return .equal
    case (true, false): return .after
    case (false, true): return .before
    case (true, true): return .concurrent
    }
}

/// Pointwise maximum of two maps from replica to counter.
func mergeCounters(_ lhs: inout [ReplicaID: UInt64], _ rhs: [ReplicaID: UInt64]) {
    for (replica, counter) in rhs where counter > (lhs[replica] ?? 0) {
        lhs[replica] = counter
    }
}
