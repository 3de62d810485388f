import ConcordSimulation

/// Watches every server of one simulated run for violations of consensus
/// safety ("Paxos Made Simple" §2.1): at most one value is chosen in each
/// slot, so every learner that learns a slot learns the same value. It
/// also collects the invariant violations the cores tolerate only while a
/// test-only bug is switched on.
///
/// It is an oracle outside the protocol: servers report to it, but never
/// read from it.
final class PaxosSafetyMonitor: @unchecked Sendable {
    private var learned: [UInt64: (value: [UInt8], by: NodeID)] = [:]
    private var toleratedSeen: [NodeID: Int] = [:]
    private(set) var violations: [String] = []
    /// Slot learnings observed, for reports.
    private(set) var learnings = 0
    /// The highest slot any server learned.
    var highestSlot: UInt64 { learned.keys.max() ?? 0 }

    /// `server` learned that `value` (in a canonical encoding) is chosen in `slot`.
    func observeChosen(slot: UInt64, value: [UInt8], by server: NodeID) {
        learnings += 1
        if let first = learned[slot] {
            if first.value != value {
                record("two values chosen in slot \(slot): n\(first.by) learned \(first.value.count) bytes, n\(server) learned \(value.count) bytes that differ")
            }
        } else {
            learned[slot] = (value, server)
        }
    }

    func observeTolerated(_ tolerated: [String], by server: NodeID) {
        let seen = toleratedSeen[server, default: 0]
        guard tolerated.count > seen else { return }
        for violation in tolerated[seen...] {
            record("invariant on n\(server): \(violation)")
        }
        toleratedSeen[server] = tolerated.count
    }

    /// A restarted server's core starts with no tolerated violations.
    func serverRestarted(_ server: NodeID) {
        toleratedSeen[server] = 0
    }

    private func record(_ violation: String) {
        if violations.count < 10 { violations.append(violation) }
    }
}
