/// Linearizable reads without a slot of the log. A new leader first waits
/// until every slot its phase-1 recovery re-proposed is chosen: its commit
/// index then covers every value chosen before it led. A read then records
/// the commit index and waits until a read quorum — a set that meets every
/// phase-1 quorum, `n - |Q1| + 1` replicas with this one — confirms this
/// replica still leads: no other leader can have been elected (and chosen
/// anything) without one of them promising it. With a declared clock-drift
/// bound, a leader whose lease holds answers at once.
extension MultiPaxosNode {
    mutating func handleReadIndex(from requester: ReplicaID, context: UInt64) {
        precondition(role == .leader)
        guard log.committed >= recoveryEnd else {
            readsAwaitingRecovery.append((requester, context))
            return
        }
        if isLeaseValid {
            answerRead(to: requester, index: log.committed, context: context)
            return
        }
        readRound += 1
        pendingReads.append(PendingRead(index: log.committed, context: context, from: requester, round: readRound))
        if quorums.readQuorum <= 1 {
            releaseConfirmedReads()
        } else {
            broadcastHeartbeat()
        }
    }

    /// Answers every read whose round a read quorum has acknowledged.
    mutating func releaseConfirmedReads() {
        guard !pendingReads.isEmpty else { return }
        var rounds = [readRound]
        for replica in progress.keys { rounds.append(progress[replica]!.readRoundAcknowledged) }
        let confirmed = QuorumSizes.value(reachedBy: quorums.readQuorum, of: rounds)
        while let read = pendingReads.first, read.round <= confirmed {
            pendingReads.removeFirst()
            answerRead(to: read.from, index: read.index, context: read.context)
        }
    }

    /// Serves the reads that arrived before recovery completed.
    mutating func recoveredEarlierSlots() {
        guard role == .leader, !readsAwaitingRecovery.isEmpty else { return }
        let waiting = readsAwaitingRecovery
        readsAwaitingRecovery = []
        for read in waiting {
            handleReadIndex(from: read.from, context: read.context)
        }
    }

    private mutating func answerRead(to requester: ReplicaID, index: UInt64, context: UInt64) {
        if requester == id {
            outbox.readStates.append(MultiPaxosReadState(index: index, context: context))
        } else {
            send(to: requester, .readIndexResponse(index: index, context: context))
        }
    }

    /// The leader's lease: a read quorum acknowledged a heartbeat sent at
    /// tick `start`, and each of them ignores other candidates' prepares
    /// for an election timeout after receiving it. Less the declared
    /// clock-drift bound, that is how long the leader may answer reads
    /// alone. Relies on `clockDriftBoundTicks`; never used without it.
    var isLeaseValid: Bool {
        guard configuration.leaseReadsEnabled, let drift = configuration.clockDriftBoundTicks else { return false }
        guard role == .leader, !leaseInvalidated, leadTransferee == nil else { return false }
        var ticks = [tickCount]
        for replica in progress.keys { ticks.append(progress[replica]!.leaseAcknowledgedTick) }
        let start = QuorumSizes.value(reachedBy: quorums.readQuorum, of: ticks)
        guard start > 0 else { return false }
        return tickCount < start + UInt64(configuration.electionTimeoutTicks - drift)
    }
}
