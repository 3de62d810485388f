/// Phase 2 ("Paxos Made Simple" §3): the leader proposes commands at the
/// end of its log, sends each acceptor the slots it lacks (probing, then
/// pipelining up to a window, batching slots and bytes per message), and
/// chooses a slot once a phase-2 quorum agrees up to it; acceptors accept
/// per slot and learn chosen slots from the leader's commit index.
extension MultiPaxosNode {
    // MARK: Leader

    /// Appends commands to the leader's log in its ballot and sends them.
    mutating func appendProposals(_ commands: [[UInt8]]) throws(MultiPaxosRequestError) {
        precondition(role == .leader)
        guard leadTransferee == nil else { throw .leadershipTransferInProgress }
        let bytes = commands.reduce(0) { $0 + $1.count }
        if configuration.uncommittedBytesMax > 0 && uncommittedBytes > 0
            && uncommittedBytes + bytes > configuration.uncommittedBytesMax
        {
            throw .tooManyUncommittedBytes
        }
        uncommittedBytes += bytes
        var slot = log.lastIndex
        for command in commands {
            slot += 1
            log.write(MultiPaxosLogEntry(slot: slot, ballot: ballot, kind: .command, data: command))
        }
        broadcastAccept()
    }

    /// Sends every acceptor what it lacks (and the commit index),
    /// pipelining while the window has room.
    mutating func broadcastAccept() {
        for replica in progress.keys.sorted() {
            sendAccept(to: replica)
            while progress[replica]?.state == .replicate, sendAccept(to: replica, sendIfEmpty: false) {}
        }
    }

    /// Sends one accept to `replica` unless its progress is paused, or a
    /// snapshot when the slots it needs were compacted. Returns true when a
    /// message was sent.
    @discardableResult
    mutating func sendAccept(to replica: ReplicaID, sendIfEmpty: Bool = true) -> Bool {
        guard let current = progress[replica], !current.isPaused else { return false }
        guard
            let entries = log.entries(
                from: current.next, countMax: configuration.entriesPerMessageMax,
                bytesMax: configuration.bytesPerMessageMax)
        else {
            return sendSnapshot(to: replica)
        }
        if entries.isEmpty && !sendIfEmpty { return false }
        send(to: replica, .accept(.init(firstSlot: current.next, entries: entries, leaderCommit: log.committed)))
        progress[replica]!.sentAccept(count: entries.count, lastSlot: entries.last?.slot ?? current.next - 1)
        return true
    }

    /// Handles an acceptor's answer to an accept (phase 2b).
    mutating func handleAcceptResponse(from replica: ReplicaID, _ response: MultiPaxosMessage.AcceptResponse) {
        guard progress[replica] != nil else { return }
        // An acceptor cannot agree with more than the leader holds.
        guard response.agreedThrough <= log.lastIndex else { return }
        progress[replica]!.recentActive = true
        let wasPaused = progress[replica]!.isPaused
        let grew = progress[replica]!.update(agreedThrough: response.agreedThrough)
        if response.agreedThrough < response.lastReceived {
            // A hole below what the message carried (an earlier accept was
            // lost or overtaken): send again from the hole.
            if progress[replica]!.state != .snapshot {
                progress[replica]!.becomeProbe()
                sendAccept(to: replica)
            }
        } else {
            switch progress[replica]!.state {
            case .probe:
                progress[replica]!.becomeReplicate()
            case .snapshot:
                if progress[replica]!.match + 1 >= log.firstIndex {
                    snapshotOffsets[replica] = nil
                    progress[replica]!.becomeProbe()
                    progress[replica]!.becomeReplicate()
                }
            case .replicate:
                progress[replica]!.acknowledge(upTo: response.agreedThrough)
            }
        }
        if grew && maybeCommit() {
            broadcastAccept()
        } else if wasPaused {
            sendAccept(to: replica)
        }
        while sendAccept(to: replica, sendIfEmpty: false) {}
        if replica == leadTransferee && progress[replica]!.match == log.lastIndex {
            sendTimeoutNow(to: replica)
        }
    }

    /// The leader's own acceptances became durable: they now count.
    mutating func leaderPersistedEntries() {
        if maybeCommit() { broadcastAccept() }
    }

    /// Advances the commit index to the highest slot a phase-2 quorum
    /// agrees up to (the leader's durable log counts as its acceptance).
    /// Every slot above the old commit index holds a proposal of this
    /// ballot, so counting acceptors is enough. Returns true when it advanced.
    mutating func maybeCommit() -> Bool {
        var agreed = [log.persisted]
        for replica in progress.keys { agreed.append(progress[replica]!.match) }
        let candidate = QuorumSizes.value(reachedBy: quorums.phaseTwo, of: agreed)
        guard candidate > log.committed, candidate <= log.lastIndex else { return false }
        let previous = log.committed
        log.markChosen(upTo: candidate)
        for slot in (previous + 1)...log.committed {
            if let entry = log.entry(at: slot), entry.ballot == ballot {
                uncommittedBytes = max(0, uncommittedBytes - entry.payloadBytes)
            }
        }
        if log.committed >= recoveryEnd { recoveredEarlierSlots() }
        return true
    }

    /// Sends heartbeats carrying the commit index, the read round and the tick.
    mutating func broadcastHeartbeat() {
        for replica in progress.keys.sorted() {
            send(to: replica, .heartbeat(.init(commit: log.committed, readRound: readRound, sentTick: tickCount)))
        }
    }

    mutating func handleHeartbeatResponse(from replica: ReplicaID, _ response: MultiPaxosMessage.HeartbeatResponse) {
        guard progress[replica] != nil else { return }
        progress[replica]!.recentActive = true
        progress[replica]!.heartbeatAnswered()
        progress[replica]!.readRoundAcknowledged = max(progress[replica]!.readRoundAcknowledged, response.readRound)
        progress[replica]!.leaseAcknowledgedTick = max(progress[replica]!.leaseAcknowledgedTick, response.sentTick)
        if response.agreedThrough <= log.lastIndex, progress[replica]!.update(agreedThrough: response.agreedThrough),
            maybeCommit()
        {
            broadcastAccept()
        }
        if progress[replica]!.state == .snapshot {
            resendSnapshotChunk(to: replica)
        } else if progress[replica]!.match < log.lastIndex || response.commit < log.committed {
            sendAccept(to: replica)
        }
        releaseConfirmedReads()
    }

    // MARK: Acceptor

    /// Phase 2b for a run of slots: the slots up to the leader's commit
    /// index are chosen values (stored in the message's ballot); the others
    /// are accepted in the message's ballot. The answer reports the prefix this acceptor agrees on with
    /// the leader, once durable.
    mutating func handleAccept(_ message: MultiPaxosMessage, _ accept: MultiPaxosMessage.Accept) {
        for var entry in accept.entries {
            let chosen = entry.slot <= accept.leaderCommit
            if chosen && entry.ballot < message.ballot {
                // A chosen value is stored in the leader's ballot: that the
                // acceptor agrees with this leader up to here must survive
                // a restart, and its commit index may not have been
                // persisted yet. (The leader proposes no other value in
                // this slot, so the pair is one it could have proposed.)
                entry.ballot = message.ballot
            }
            log.write(entry, chosen: chosen)
        }
        let agreed = log.agreedThrough(message.ballot)
        log.markChosen(upTo: min(accept.leaderCommit, agreed))
        let lastReceived = accept.entries.last?.slot ?? (accept.firstSlot - 1)
        send(
            to: message.from, ballot: message.ballot,
            .acceptResponse(.init(agreedThrough: agreed, lastReceived: lastReceived, commit: log.committed)))
    }

    /// A heartbeat: learn what is chosen, and echo round and tick.
    mutating func handleHeartbeat(_ message: MultiPaxosMessage, _ heartbeat: MultiPaxosMessage.Heartbeat) {
        let agreed = log.agreedThrough(message.ballot)
        log.markChosen(upTo: min(heartbeat.commit, agreed))
        send(
            to: message.from, ballot: message.ballot,
            .heartbeatResponse(
                .init(
                    readRound: heartbeat.readRound, sentTick: heartbeat.sentTick, agreedThrough: agreed,
                    commit: log.committed)))
    }
}
