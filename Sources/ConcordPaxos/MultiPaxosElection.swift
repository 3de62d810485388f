/// Phase 1 and roles ("Paxos Made Simple" §3): a follower that hears no
/// leader campaigns with a ballot of its own; acceptors promise it and
/// report what they accepted; with a phase-1 quorum of promises it leads
/// after recovering every slot it has not learned. The `become…` methods
/// and `campaign` are the only way the role changes.
extension MultiPaxosNode {
    mutating func resetRandomizedElectionTimeout() {
        let timeout = UInt64(configuration.electionTimeoutTicks)
        randomizedElectionTimeout = Int(timeout + random.next() % timeout)
    }

    /// Clears everything that belongs to one leadership or campaign.
    private mutating func resetBallotState() {
        ballot = .zero
        leader = nil
        electionElapsed = 0
        heartbeatElapsed = 0
        resetRandomizedElectionTimeout()
        leadTransferee = nil
        promises = [:]
        progress = [:]
        uncommittedBytes = 0
        readRound = 0
        pendingReads.removeAll()
        readsAwaitingRecovery.removeAll()
        snapshotOffsets.removeAll()
        leaseInvalidated = false
        isLeadershipTransferCampaign = false
        recoveryEnd = 0
    }

    /// Follows `newLeader` (or nobody yet), having promised `ballot`.
    mutating func becomeFollower(promising newPromise: Ballot, leader newLeader: ReplicaID?) {
        resetBallotState()
        promised = max(promised, newPromise)
        highestRoundSeen = max(highestRoundSeen, promised.round)
        leader = newLeader
        role = .follower
    }

    /// Starts phase 1 with a new ballot above every one seen. The
    /// candidate's own promise counts once it is durable: it travels to
    /// itself after the persist.
    mutating func campaign(transfer: Bool) {
        resetBallotState()
        role = .candidate
        let round = min(max(promised.round, highestRoundSeen) + 1, Ballot.roundMax)
        ballot = Ballot(round: round, replica: id)
        promised = ballot
        highestRoundSeen = round
        isLeadershipTransferCampaign = transfer
        campaignsStarted += 1
        messagesAfterPersist.append(
            MultiPaxosMessage(from: id, to: id, ballot: ballot, body: .promise(.init(commit: log.committed))))
        sendPrepares()
    }

    /// Asks every acceptor that has not promised yet; repeated every
    /// heartbeat interval while the campaign lasts (messages may be lost).
    mutating func sendPrepares() {
        precondition(role == .candidate)
        for replica in configuration.replicas.sorted() where replica != id && promises[replica] == nil {
            send(
                to: replica,
                .prepare(.init(fromSlot: log.committed + 1, isLeadershipTransfer: isLeadershipTransferCampaign)))
        }
    }

    /// Phase 1b ("Paxos Made Simple" §2.2): promise a ballot above every
    /// one promised, reporting every value accepted from the prepare's slot
    /// on; refuse a lower one. While a leader is heard from, another
    /// replica's prepare is ignored (the leader's lease), unless the leader
    /// itself asked for the campaign.
    mutating func handlePrepare(_ message: MultiPaxosMessage, _ prepare: MultiPaxosMessage.Prepare) {
        let candidateBallot = message.ballot
        guard candidateBallot.replica == message.from else { return }
        if candidateBallot < promised {
            send(to: message.from, ballot: candidateBallot, .reject(promised: promised))
            return
        }
        if candidateBallot > promised {
            let inLease =
                configuration.checkQuorum && (leader != nil || honoursLeaseAfterRestart) && leader != message.from
                && electionElapsed < configuration.electionTimeoutTicks
            if inLease && !prepare.isLeadershipTransfer { return }
            becomeFollower(promising: candidateBallot, leader: nil)
        }
        var promise = MultiPaxosMessage.Promise(commit: log.committed)
        if log.snapshotIndex >= prepare.fromSlot && snapshot.index > 0 {
            promise.snapshot = snapshot
        }
        promise.entries = log.acceptedEntries(from: prepare.fromSlot)
        send(to: message.from, ballot: candidateBallot, .promise(promise))
    }

    /// Counts a promise; a phase-1 quorum of them makes this replica leader.
    /// A promise that carries a snapshot newer than what this replica knows
    /// chosen is installed first.
    mutating func handlePromise(from replica: ReplicaID, _ promise: MultiPaxosMessage.Promise) {
        if let newer = promise.snapshot, newer.index > log.committed {
            installSnapshot(newer)
        }
        promises[replica] = promise
        if promises.count >= quorums.phaseOne {
            becomeLeader()
        }
    }

    /// A refusal of this replica's ballot: a candidate gives up and waits a
    /// randomized timeout (the duelling candidates back off); a leader,
    /// which an acceptor no longer follows, campaigns again at once with a
    /// higher ballot.
    mutating func handleRejection(_ higher: Ballot) {
        if role == .leader {
            campaign(transfer: false)
        } else {
            becomeFollower(promising: promised, leader: nil)
        }
    }

    mutating func becomeLeader() {
        precondition(role == .candidate, "only a candidate becomes leader")
        role = .leader
        leader = id
        campaignsWon += 1
        recoverEarlierSlots()
        for replica in configuration.replicas.sorted() where replica != id {
            let known = min(promises[replica]?.commit ?? log.committed, log.lastIndex)
            progress[replica] = ReplicaProgress(next: known + 1, windowMessagesMax: configuration.inflightMessagesMax)
        }
        promises = [:]
        electionElapsed = 0
        broadcastAccept()
        if recoveryEnd <= log.committed { recoveredEarlierSlots() }
    }

    /// Phase-1 recovery ("Paxos Made Simple" §3): every slot after the
    /// commit index up to the last one any promise (or this log) reports is
    /// proposed again in this ballot, with the value reported chosen, else
    /// the value accepted in the highest ballot, else a no-op.
    private mutating func recoverEarlierSlots() {
        let start = log.committed + 1
        var best: [UInt64: (entry: MultiPaxosLogEntry, chosen: Bool)] = [:]
        func consider(_ entry: MultiPaxosLogEntry, chosen: Bool) {
            guard entry.slot >= start, entry.kind != .vacant else { return }
            if let current = best[entry.slot] {
                if current.chosen { return }
                if !chosen && entry.ballot <= current.entry.ballot { return }
            }
            best[entry.slot] = (entry, chosen)
        }
        if start <= log.lastIndex {
            for slot in start...log.lastIndex {
                if let own = log.entry(at: slot) { consider(own, chosen: log.isChosen(slot)) }
            }
        }
        if !configuration.testingBugs.contains(.skipPhaseOneRecovery) {
            for replica in promises.keys.sorted() where replica != id {
                let promise = promises[replica]!
                for entry in promise.entries {
                    consider(entry, chosen: entry.slot <= promise.commit)
                }
            }
        }
        let end = max(log.lastIndex, best.keys.max() ?? 0)
        recoveryEnd = end
        guard start <= end else { return }
        for slot in start...end {
            let picked = best[slot]
            let entry = MultiPaxosLogEntry(
                slot: slot, ballot: ballot, kind: picked?.entry.kind ?? .noop, data: picked?.entry.data ?? [])
            log.write(entry, chosen: picked?.chosen ?? false)
        }
    }

    /// A follower or candidate counts the tick towards its election timeout.
    mutating func tickElection() {
        electionElapsed += 1
        if electionElapsed >= configuration.electionTimeoutTicks {
            honoursLeaseAfterRestart = false
        }
        if electionElapsed >= randomizedElectionTimeout {
            campaign(transfer: false)
        } else if role == .candidate && electionElapsed % configuration.heartbeatIntervalTicks == 0 {
            sendPrepares()
        }
    }

    /// A leader sends heartbeats and, every election timeout, checks that a
    /// phase-2 quorum was recently active.
    mutating func tickHeartbeat() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= configuration.electionTimeoutTicks {
            electionElapsed = 0
            if configuration.checkQuorum && !quorumRecentlyActive() {
                becomeFollower(promising: promised, leader: nil)
                return
            }
            if leadTransferee != nil {
                leadTransferee = nil
            }
        }
        if heartbeatElapsed >= configuration.heartbeatIntervalTicks {
            heartbeatElapsed = 0
            broadcastHeartbeat()
        }
    }

    /// True when a phase-2 quorum answered since the last check; resets the marks.
    private mutating func quorumRecentlyActive() -> Bool {
        var active = 1
        for replica in progress.keys {
            if progress[replica]!.recentActive { active += 1 }
            progress[replica]!.recentActive = false
        }
        return active >= quorums.phaseTwo
    }
}
