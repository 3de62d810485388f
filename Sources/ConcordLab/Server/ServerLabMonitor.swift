import ConcordRaft
import ConcordSimulation

/// Watches every server of one simulated run for violations of Raft's
/// safety properties (Raft Figure 3): Election Safety (at most one leader
/// per term) and State Machine Safety (no two servers apply different
/// entries at one index); collects the invariant violations Raft tolerates
/// only while a test-only bug is on, and what became of each server (its
/// disk refused, removed from the cluster).
///
/// It is an oracle outside the protocol: the servers report to it, and
/// never read from it.
final class ServerLabMonitor: @unchecked Sendable {
    private var leaderOfTerm: [UInt64: NodeID] = [:]
    private var appliedAt: [UInt64: (term: UInt64, data: [UInt8])] = [:]
    private var toleratedSeen: [NodeID: Int] = [:]
    private(set) var violations: [String] = []
    /// Servers whose disk the storage refused, with the reason.
    private(set) var refusals: [NodeID: String] = [:]
    /// Servers that applied their own removal.
    private(set) var removedServers: Set<NodeID> = []
    /// The number of terms that had a leader.
    var leaderCount: Int { leaderOfTerm.count }
    /// The highest index any server applied.
    private(set) var highestApplied: UInt64 = 0

    func leader(_ server: NodeID, term: UInt64) {
        if let other = leaderOfTerm[term], other != server {
            violation("election safety: n\(other) and n\(server) both led term \(term)")
        }
        leaderOfTerm[term] = server
    }

    func applied(_ entry: LogEntry, by server: NodeID) {
        highestApplied = max(highestApplied, entry.index)
        if let seen = appliedAt[entry.index] {
            if seen.term != entry.term || seen.data != entry.data {
                violation("state machine safety: n\(server) applied \(entry.index)/\(entry.term) but \(entry.index)/\(seen.term) was applied before")
            }
        } else {
            appliedAt[entry.index] = (entry.term, entry.data)
        }
    }

    func tolerated(_ tolerated: [String], by server: NodeID) {
        let seen = toleratedSeen[server, default: 0]
        guard tolerated.count > seen else { return }
        for text in tolerated[seen...] { violation("log invariant on n\(server): \(text)") }
        toleratedSeen[server] = tolerated.count
    }

    /// A restarted server's core starts with no tolerated violations.
    func restarted(_ server: NodeID) {
        toleratedSeen[server] = 0
    }

    func refused(_ server: NodeID, _ reason: String) {
        refusals[server] = reason
    }

    func removed(_ server: NodeID) {
        removedServers.insert(server)
    }

    func violation(_ text: String) {
        if violations.count < 10 { violations.append(text) }
    }
}
