/// Roles and elections (Raft §5.2; PreVote, thesis §9.6; CheckQuorum,
/// thesis §6.2). The `become…` methods are the only way the role changes.
extension RaftNode {
    enum CampaignKind {
        case preElection, election, transfer
    }

    mutating func resetRandomizedElectionTimeout() {
        let timeout = UInt64(configuration.electionTimeoutTicks)
        randomizedElectionTimeout = Int(timeout + random.next() % timeout)
    }

    /// Clears the per-term state; a new term also clears the vote.
    mutating func reset(term newTerm: UInt64) {
        if term != newTerm {
            term = newTerm
            vote = nil
        }
        leader = nil
        electionElapsed = 0
        heartbeatElapsed = 0
        resetRandomizedElectionTimeout()
        leadTransferee = nil
        votes = [:]
        resetProgress()
        pendingConfigurationIndex = 0
        uncommittedBytes = 0
        readRound = 0
        pendingReads.removeAll()
        readsAwaitingCommitInTerm.removeAll()
        snapshotChunksOut.removeAll()
        leaseInvalidated = false
    }

    /// Fresh progress for every replica of the configuration.
    mutating func resetProgress() {
        progress = [:]
        for replica in membership.allReplicas {
            progress[replica] = newProgress(for: replica)
        }
        if progress[id] != nil {
            _ = progress[id]!.maybeUpdate(log.persisted)
        }
    }

    func newProgress(for replica: MemberID) -> Progress {
        Progress(
            next: log.lastIndex + 1,
            messagesMax: configuration.inflightMessagesMax,
            bytesMax: configuration.inflightBytesMax,
            isLearner: membership.learners.contains(replica))
    }

    mutating func becomeFollower(term newTerm: UInt64, leader newLeader: MemberID?) {
        reset(term: newTerm)
        leader = newLeader
        role = .follower
    }

    mutating func becomePreCandidate() {
        precondition(role != .leader, "a leader cannot become a pre-candidate")
        // A pre-candidate keeps its term and vote (thesis §9.6).
        votes = [:]
        leader = nil
        role = .preCandidate
    }

    mutating func becomeCandidate() {
        precondition(role != .leader, "a leader cannot become a candidate")
        reset(term: term + 1)
        vote = id
        role = .candidate
    }

    mutating func becomeLeader() {
        precondition(role == .candidate, "only a candidate becomes leader")
        reset(term: term)
        leader = id
        role = .leader
        progress[id]?.becomeReplicate()
        // No configuration change may be proposed until every entry of
        // earlier terms is applied (etcd-io/raft's conservative rule).
        pendingConfigurationIndex = log.lastIndex
        // An empty entry of the new term lets the leader commit everything
        // before it (Raft §5.4.2) and learn the commit index (thesis §6.4).
        log.append([LogEntry(index: log.lastIndex + 1, term: term)])
        broadcastAppend()
    }

    /// Starts an election, or a pre-election.
    mutating func campaign(_ kind: CampaignKind) {
        guard isPromotable else { return }
        let voteTerm: UInt64
        if kind == .preElection {
            becomePreCandidate()
            voteTerm = term + 1
        } else {
            becomeCandidate()
            voteTerm = term
        }
        let isPreVote = kind == .preElection
        isLeadershipTransferElection = kind == .transfer
        // The candidate's own vote counts only once its term and vote are
        // durable: it travels to itself after the persist.
        messagesAfterPersist.append(
            RaftMessage(from: id, to: id, term: voteTerm, body: .voteResponse(.init(granted: true, isPreVote: isPreVote))))
        sendVoteRequests()
    }

    /// Asks every voter that has not answered yet for its vote. Called when
    /// campaigning and again every heartbeat interval while the election
    /// lasts: "servers retry RPCs if they do not receive a response in a
    /// timely manner" (paper §5.1).
    mutating func sendVoteRequests() {
        let isPreVote = role == .preCandidate
        let voteTerm = isPreVote ? term + 1 : term
        for voter in quorum.voters.sorted() where voter != id && votes[voter] == nil {
            send(
                to: voter, term: voteTerm,
                .voteRequest(
                    .init(
                        lastLogIndex: log.lastIndex, lastLogTerm: log.lastTerm,
                        isPreVote: isPreVote, isLeadershipTransfer: isLeadershipTransferElection)))
        }
    }

    /// A follower or candidate counts the tick towards its election timeout.
    mutating func tickElection() {
        electionElapsed += 1
        if electionElapsed >= configuration.electionTimeoutTicks {
            honoursLeaseAfterRestart = false
        }
        guard isPromotable else { return }
        if electionElapsed >= randomizedElectionTimeout {
            electionElapsed = 0
            campaign(configuration.preVote ? .preElection : .election)
        } else if role != .follower && electionElapsed % configuration.heartbeatIntervalTicks == 0 {
            sendVoteRequests()
        }
    }

    /// A leader sends heartbeats and, every election timeout, checks that a
    /// quorum was recently active (CheckQuorum, thesis §6.2).
    mutating func tickHeartbeat() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= configuration.electionTimeoutTicks {
            electionElapsed = 0
            if configuration.checkQuorum {
                if !quorumRecentlyActive() {
                    becomeFollower(term: term, leader: nil)
                    return
                }
            }
            if leadTransferee != nil {
                // The target could not catch up within an election timeout.
                abortLeadershipTransfer()
            }
        }
        if heartbeatElapsed >= configuration.heartbeatIntervalTicks {
            heartbeatElapsed = 0
            broadcastHeartbeat()
        }
    }

    /// True when a quorum answered since the last check; resets the marks.
    mutating func quorumRecentlyActive() -> Bool {
        var active: [MemberID: Bool] = [:]
        for (replica, value) in progress {
            active[replica] = replica == id || value.recentActive
        }
        for replica in progress.keys where replica != id {
            progress[replica]!.recentActive = false
        }
        return quorum.voteResult(active) == .won
    }

    /// Handles a vote request in the current term (Raft Figure 2,
    /// RequestVote receiver rules; thesis §9.6 for pre-votes).
    mutating func handleVoteRequest(_ message: RaftMessage, _ request: RaftMessage.VoteRequest) {
        let canVote =
            vote == message.from
            || (vote == nil && leader == nil)
            || (request.isPreVote && message.term > term)
        let upToDate =
            configuration.testingBugs.contains(.voteWithoutLogCheck)
            || log.isUpToDate(lastIndex: request.lastLogIndex, lastTerm: request.lastLogTerm)
        if canVote && upToDate {
            send(to: message.from, term: message.term, .voteResponse(.init(granted: true, isPreVote: request.isPreVote)))
            if !request.isPreVote {
                electionElapsed = 0
                vote = message.from
            }
        } else {
            send(to: message.from, .voteResponse(.init(granted: false, isPreVote: request.isPreVote)))
        }
    }

    /// A candidate or pre-candidate counts a vote.
    mutating func handleVoteResponse(_ message: RaftMessage, _ response: RaftMessage.VoteResponse) {
        guard response.isPreVote == (role == .preCandidate) else { return }
        if configuration.testingBugs.contains(.countDuplicateVote), response.granted, votes[message.from] == true,
            let unheard = quorum.voters.sorted().first(where: { votes[$0] == nil })
        {
            // A counter of answers: the repeated grant counts as one more voter.
            votes[unheard] = true
        }
        votes[message.from] = response.granted
        switch quorum.voteResult(votes) {
        case .won:
            if role == .preCandidate {
                campaign(.election)
            } else {
                becomeLeader()
            }
        case .lost:
            becomeFollower(term: term, leader: nil)
        case .pending:
            break
        }
    }
}
