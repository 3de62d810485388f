/// Linearizable reads without writing to the log (thesis §6.4): the leader
/// records its commit index, confirms with a round of heartbeats that it
/// still leads, and answers. With a declared clock-drift bound, a leader
/// within its lease answers at once (thesis §6.4.1).
extension RaftNode {
    /// True once the leader has committed an entry of its own term, and so
    /// knows the commit index (thesis §6.4, step 1).
    var hasCommittedInCurrentTerm: Bool { log.term(at: log.committed) == term }

    mutating func handleReadIndex(from requester: MemberID, context: UInt64) {
        precondition(role == .leader)
        if configuration.testingBugs.contains(.readWithoutQuorumCheck) {
            answerRead(to: requester, index: log.committed, context: context)
            return
        }
        guard hasCommittedInCurrentTerm else {
            readsAwaitingCommitInTerm.append((requester, context))
            return
        }
        if isLeaseValid {
            answerRead(to: requester, index: log.committed, context: context)
            return
        }
        readRound += 1
        pendingReads.append(PendingRead(index: log.committed, context: context, from: requester, round: readRound))
        if quorum.voters == [id] {
            releaseConfirmedReads()
        } else {
            broadcastHeartbeat()
        }
    }

    /// Answers every read whose round a quorum has acknowledged.
    mutating func releaseConfirmedReads() {
        guard !pendingReads.isEmpty else { return }
        let confirmed = quorum.committedIndex { replica in
            replica == id ? readRound : progress[replica]?.readRoundAcknowledged
        }
        while let read = pendingReads.first, read.round <= confirmed {
            pendingReads.removeFirst()
            answerRead(to: read.from, index: read.index, context: read.context)
        }
    }

    /// Serves the reads that arrived before the leader's first commit.
    mutating func committedInCurrentTerm() {
        guard hasCommittedInCurrentTerm, !readsAwaitingCommitInTerm.isEmpty else { return }
        let waiting = readsAwaitingCommitInTerm
        readsAwaitingCommitInTerm = []
        for read in waiting {
            handleReadIndex(from: read.from, context: read.context)
        }
    }

    private mutating func answerRead(to requester: MemberID, index: UInt64, context: UInt64) {
        if requester == id {
            outbox.readStates.append(ReadState(index: index, context: context))
        } else {
            send(to: requester, .readIndexResponse(index: index, context: context))
        }
    }

    /// The leader's lease (thesis §6.4.1): a quorum acknowledged a heartbeat
    /// sent at tick `start`, and each of them will refuse to vote for
    /// another candidate for an election timeout after receiving it. Less the
    /// declared clock-drift bound, that is how long the leader may answer
    /// reads alone. Relies on `clockDriftBoundTicks`; never used without it.
    var isLeaseValid: Bool {
        guard configuration.leaseReadsEnabled, let drift = configuration.clockDriftBoundTicks else { return false }
        guard role == .leader, !leaseInvalidated, leadTransferee == nil else { return false }
        let start = quorum.committedIndex { replica in
            replica == id ? tickCount : progress[replica]?.leaseAcknowledgedTick
        }
        guard start > 0 else { return false }
        return tickCount < start + UInt64(configuration.electionTimeoutTicks - drift)
    }
}
