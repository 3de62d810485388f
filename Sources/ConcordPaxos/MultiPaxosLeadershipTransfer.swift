/// Handing leadership to another replica: the leader stops accepting
/// proposals, brings the target's log up to date, and tells it to run
/// phase 1 at once; acceptors answer that campaign even within the
/// leader's lease. Aborted when the target has not taken over within an
/// election timeout.
extension MultiPaxosNode {
    mutating func startLeadershipTransfer(to target: ReplicaID) {
        if target == id || leadTransferee == target { return }
        leadTransferee = target
        electionElapsed = 0
        if progress[target]!.match == log.lastIndex {
            sendTimeoutNow(to: target)
        } else {
            sendAccept(to: target)
        }
    }

    mutating func sendTimeoutNow(to target: ReplicaID) {
        // The target may be elected without waiting out the acceptors'
        // leases, so this leader's lease is void for the rest of its ballot.
        leaseInvalidated = true
        send(to: target, .timeoutNow)
    }
}
