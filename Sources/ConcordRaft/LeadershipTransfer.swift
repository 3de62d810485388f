/// Handing leadership to another voter (thesis §3.10): the leader stops
/// accepting proposals, brings the target's log up to date, and tells it to
/// campaign at once. The transfer is aborted when the target has not taken
/// over within an election timeout.
extension RaftNode {
    mutating func startLeadershipTransfer(to target: MemberID) {
        if target == id || leadTransferee == target { return }
        abortLeadershipTransfer()
        leadTransferee = target
        // The election timer now measures the transfer's deadline.
        electionElapsed = 0
        if progress[target]!.match == log.lastIndex {
            sendTimeoutNow(to: target)
        } else {
            sendAppend(to: target)
        }
    }

    mutating func abortLeadershipTransfer() {
        leadTransferee = nil
    }

    mutating func sendTimeoutNow(to target: MemberID) {
        // The target will be elected without waiting out other replicas'
        // leases, so this leader's lease is void for the rest of its term.
        leaseInvalidated = true
        send(to: target, .timeoutNow)
    }
}
