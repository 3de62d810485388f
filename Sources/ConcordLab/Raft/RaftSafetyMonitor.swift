import ConcordRaft

/// Watches every server of one simulated run for violations of Raft's
/// safety properties (Raft Figure 3): Election Safety (at most one leader
/// per term) and State Machine Safety (no two servers apply different
/// entries at one index). It also collects the invariant violations the core
/// tolerates only while a test-only bug is switched on.
///
/// It is an oracle outside the protocol: the servers report to it, but never
/// read from it.
final class RaftSafetyMonitor: @unchecked Sendable {
    private var leaderOfTerm: [UInt64: ReplicaID] = [:]
    private var appliedAt: [UInt64: (term: UInt64, data: [UInt8])] = [:]
    private var toleratedSeen: [ReplicaID: Int] = [:]
    private(set) var violations: [String] = []
    /// The leaders seen, by term, for reports.
    var leaderCount: Int { leaderOfTerm.count }

    func observeLeader(_ replica: ReplicaID, term: UInt64) {
        if let other = leaderOfTerm[term], other != replica {
            record("election safety: n\(other) and n\(replica) both led term \(term)")
        }
        leaderOfTerm[term] = replica
    }

    func observeApplied(_ entry: LogEntry, by replica: ReplicaID) {
        if let seen = appliedAt[entry.index] {
            if seen.term != entry.term || seen.data != entry.data {
                record("state machine safety: n\(replica) applied \(entry.index)/\(entry.term) but \(entry.index)/\(seen.term) was applied before")
            }
        } else {
            appliedAt[entry.index] = (entry.term, entry.data)
        }
    }

    func observeTolerated(_ tolerated: [String], by replica: ReplicaID) {
        let seen = toleratedSeen[replica, default: 0]
        guard tolerated.count > seen else { return }
        for violation in tolerated[seen...] {
            record("log invariant on n\(replica): \(violation)")
        }
        toleratedSeen[replica] = tolerated.count
    }

    /// A restarted replica's node starts with no tolerated violations.
    func replicaRestarted(_ replica: ReplicaID) {
        toleratedSeen[replica] = 0
    }

    private func record(_ violation: String) {
        if violations.count < 10 { violations.append(violation) }
    }
}
