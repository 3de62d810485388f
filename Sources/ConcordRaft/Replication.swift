/// Log replication (Raft §5.3) with etcd-io/raft's flow control: probing,
/// pipelining up to an in-flight window, batching bounded by entries and
/// bytes per message, and fast backtracking with the follower's hint.
extension RaftNode {
    // MARK: Leader

    /// Appends proposals to the leader's log and sends them.
    mutating func appendProposals(_ proposals: [ProposedEntry]) throws(RaftRequestError) {
        precondition(role == .leader)
        guard leadTransferee == nil else { throw .leadershipTransferInProgress }
        var bytes = 0
        var pendingConfiguration = pendingConfigurationIndex
        var projected = membership
        for (offset, proposal) in proposals.enumerated() {
            guard proposal.data.count <= configuration.proposalBytesMax else {
                throw .proposalTooLarge(bytes: proposal.data.count, limit: configuration.proposalBytesMax)
            }
            bytes += proposal.data.count
            if proposal.kind == .configurationChange {
                guard pendingConfiguration <= log.applied else { throw .configurationChangePending }
                let change: ConfigurationChange
                do { change = try ConfigurationChange(decoding: proposal.data) } catch {
                    throw .invalidConfigurationChange(error)
                }
                do { projected = try projected.applying(change) } catch {
                    throw .invalidConfigurationChange(error)
                }
                pendingConfiguration = log.lastIndex + 1 + UInt64(offset)
            }
        }
        if configuration.uncommittedBytesMax > 0 && uncommittedBytes > 0
            && uncommittedBytes + bytes > configuration.uncommittedBytesMax
        {
            throw .tooManyUncommittedBytes
        }
        appendAsLeader(proposals)
        pendingConfigurationIndex = pendingConfiguration
    }

    mutating func appendAsLeader(_ proposals: [ProposedEntry]) {
        var index = log.lastIndex
        let entries = proposals.map { proposal in
            index += 1
            return LogEntry(index: index, term: term, kind: proposal.kind, data: proposal.data)
        }
        uncommittedBytes += entries.reduce(0) { $0 + $1.payloadBytes }
        log.append(entries)
        broadcastAppend()
    }

    /// A follower forwards proposals to the leader, or refuses them.
    mutating func forwardProposals(_ proposals: [ProposedEntry]) throws(RaftRequestError) {
        guard let leader, configuration.proposalForwarding == .forwardToLeader else {
            throw .notLeader(leaderHint: leader)
        }
        for proposal in proposals where proposal.data.count > configuration.proposalBytesMax {
            throw .proposalTooLarge(bytes: proposal.data.count, limit: configuration.proposalBytesMax)
        }
        send(to: leader, term: 0, .forwardedProposal(proposals))
    }

    /// Sends every follower what it lacks (and the commit index), pipelining
    /// to followers in the replicate state up to their in-flight window.
    mutating func broadcastAppend() {
        for replica in progress.keys.sorted() where replica != id {
            sendAppend(to: replica)
            while progress[replica]?.state == .replicate, sendAppend(to: replica, sendIfEmpty: false) {}
        }
    }

    /// Sends one append to `replica` unless its progress is paused. Sends a
    /// snapshot instead when the entries it needs were compacted. Returns
    /// true when a message was sent.
    @discardableResult
    mutating func sendAppend(to replica: MemberID, sendIfEmpty: Bool = true) -> Bool {
        guard let current = progress[replica], !current.isPaused else { return false }
        let previousIndex = current.next - 1
        guard let previousTerm = log.term(at: previousIndex),
            let entries = log.entries(
                from: current.next, countMax: configuration.entriesPerMessageMax,
                bytesMax: configuration.bytesPerMessageMax)
        else {
            return sendSnapshot(to: replica)
        }
        if entries.isEmpty && !sendIfEmpty { return false }
        let bytes = entries.reduce(0) { $0 + $1.payloadBytes }
        send(
            to: replica,
            .appendEntries(
                .init(
                    previousIndex: previousIndex, previousTerm: previousTerm, entries: entries,
                    leaderCommit: log.committed)))
        progress[replica]!.sentEntries(count: entries.count, lastIndex: entries.last?.index ?? previousIndex, bytes: bytes)
        return true
    }

    /// Handles a follower's answer to an append or an installed snapshot.
    mutating func handleAppendResponse(_ message: RaftMessage, _ response: RaftMessage.AppendResponse) {
        let replica = message.from
        guard replica != id, progress[replica] != nil else { return }
        // A follower cannot hold more of this leader's log than the leader:
        // an answer beyond the end is not about this log (only a broken
        // replica sends one) and is ignored.
        guard response.index <= log.lastIndex else { return }
        progress[replica]!.recentActive = true
        if response.rejected {
            // Fast backtracking (thesis §5.3): skip every entry of the
            // follower's conflicting term at once.
            var hint = response.hintIndex
            if let hintTerm = response.hintTerm, hintTerm > 0 {
                hint = log.conflictHint(atOrBelow: response.hintIndex, term: hintTerm).index
            }
            if progress[replica]!.maybeDecrease(rejected: response.index, matchHint: hint) {
                if progress[replica]!.state == .replicate {
                    progress[replica]!.becomeProbe()
                }
                sendAppend(to: replica)
            }
            return
        }
        let wasPaused = progress[replica]!.isPaused
        let updated = progress[replica]!.maybeUpdate(response.index)
        let current = progress[replica]!
        guard updated || (current.match == response.index && current.state != .replicate) else { return }
        switch current.state {
        case .probe:
            progress[replica]!.becomeReplicate()
        case .snapshot:
            if current.match + 1 >= log.firstIndex {
                snapshotChunksOut[replica] = nil
                progress[replica]!.becomeProbe()
                progress[replica]!.becomeReplicate()
            }
        case .replicate:
            progress[replica]!.acknowledgeInflights(upTo: response.index)
        }
        if maybeCommit() {
            broadcastAppend()
        } else if wasPaused {
            sendAppend(to: replica)
        }
        // Pipelining: keep sending while the window has room.
        while sendAppend(to: replica, sendIfEmpty: false) {}
        if replica == leadTransferee && progress[replica]!.match == log.lastIndex {
            sendTimeoutNow(to: replica)
        }
    }

    /// The leader's own entries became durable: they now count towards the quorum.
    mutating func leaderPersistedEntries() {
        guard progress[id] != nil else { return }
        if progress[id]!.maybeUpdate(log.persisted), maybeCommit() {
            broadcastAppend()
        }
    }

    /// Advances the commit index to the largest index a quorum holds, but
    /// only by an entry of the current term (Raft §5.4.2, Figure 8).
    /// Returns true when it advanced.
    mutating func maybeCommit() -> Bool {
        let candidate = quorum.committedIndex { progress[$0]?.match }
        guard candidate > log.committed, candidate <= log.lastIndex else { return false }
        let countsEarlierTerms = configuration.testingBugs.contains(.commitEarlierTermByCounting)
        guard countsEarlierTerms || log.term(at: candidate) == term else { return false }
        let previous = log.committed
        log.commit(to: candidate)
        for index in (previous + 1)...candidate {
            if let entry = log.entry(at: index), entry.term == term {
                uncommittedBytes = max(0, uncommittedBytes - entry.payloadBytes)
            }
        }
        committedInCurrentTerm()
        return true
    }

    /// Sends heartbeats, carrying the read round and the tick (thesis §6.4).
    mutating func broadcastHeartbeat() {
        for replica in progress.keys.sorted() where replica != id {
            let match = progress[replica]!.match
            send(
                to: replica,
                .heartbeat(.init(commit: min(match, log.committed), readRound: readRound, sentTick: tickCount)))
        }
    }

    mutating func handleHeartbeatResponse(_ message: RaftMessage, _ response: RaftMessage.HeartbeatResponse) {
        let replica = message.from
        guard replica != id, progress[replica] != nil else { return }
        progress[replica]!.recentActive = true
        progress[replica]!.heartbeatAnswered()
        progress[replica]!.readRoundAcknowledged = max(progress[replica]!.readRoundAcknowledged, response.readRound)
        progress[replica]!.leaseAcknowledgedTick = max(progress[replica]!.leaseAcknowledgedTick, response.sentTick)
        if progress[replica]!.state == .snapshot {
            resendSnapshotChunkIfOverdue(to: replica)
        } else if progress[replica]!.match < log.lastIndex {
            sendAppend(to: replica)
        }
        releaseConfirmedReads()
    }

    // MARK: Follower

    /// Raft Figure 2, AppendEntries receiver rules.
    mutating func handleAppendEntries(_ message: RaftMessage, _ append: RaftMessage.AppendEntries) {
        if append.previousIndex < log.committed {
            send(to: message.from, .appendResponse(.init(rejected: false, index: log.committed)))
            return
        }
        if let lastNew = log.maybeAppend(
            previousIndex: append.previousIndex, previousTerm: append.previousTerm,
            leaderCommit: append.leaderCommit, entries: append.entries)
        {
            send(to: message.from, .appendResponse(.init(rejected: false, index: lastNew)))
        } else {
            let hint = log.conflictHint(atOrBelow: append.previousIndex, term: append.previousTerm)
            send(
                to: message.from,
                .appendResponse(
                    .init(rejected: true, index: append.previousIndex, hintIndex: hint.index, hintTerm: hint.term)))
        }
    }

    mutating func handleHeartbeat(_ message: RaftMessage, _ heartbeat: RaftMessage.Heartbeat) {
        log.commit(to: min(heartbeat.commit, log.lastIndex))
        send(
            to: message.from,
            .heartbeatResponse(.init(readRound: heartbeat.readRound, sentTick: heartbeat.sentTick)))
    }
}
