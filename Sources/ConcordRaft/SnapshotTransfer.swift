/// Sending a snapshot to a follower whose next entries were compacted away,
/// in chunks (Raft §7, Figure 13), and installing it on the follower.
extension RaftNode {
    /// Starts sending the latest snapshot. Returns true when a chunk was sent.
    mutating func sendSnapshot(to replica: MemberID) -> Bool {
        // Only a follower that answered recently gets a snapshot: sending
        // one to a dead replica wastes the link (etcd-io/raft does the same).
        guard progress[replica]!.recentActive else { return false }
        precondition(snapshot.metadata.index >= log.snapshotIndex, "the leader lost its latest snapshot")
        progress[replica]!.becomeSnapshot(snapshot.metadata.index)
        sendSnapshotChunk(to: replica, offset: 0)
        return true
    }

    /// Sends the chunk at `offset` and records it as the one out. A chunk
    /// that cannot be read is recorded as out all the same: it is retried
    /// once overdue, like a lost one.
    private mutating func sendSnapshotChunk(to replica: MemberID, offset: Int) {
        let offset = min(offset, snapshot.size)
        let end = min(snapshot.size, offset + configuration.snapshotChunkBytesMax)
        snapshotChunksOut[replica] = SnapshotChunkOut(offset: offset, sentTick: tickCount)
        guard let data = readSnapshotChunk(offset..<end) else { return }
        send(
            to: replica,
            .snapshotChunk(.init(metadata: snapshot.metadata, offset: offset, data: data, isLast: end == snapshot.size)))
    }

    /// The bytes of the latest snapshot in `range`: from memory while the
    /// node holds them, otherwise from the driver's snapshot files.
    private func readSnapshotChunk(_ range: Range<Int>) -> [UInt8]? {
        if let data = snapshot.data {
            return Array(data[range])
        }
        guard let bytes = snapshotFiles?.readSnapshot(snapshot.metadata, offset: range.lowerBound, count: range.count),
            bytes.count == range.count
        else { return nil }
        return bytes
    }

    /// Resends the chunk the follower is waiting for if it has been out for
    /// an election timeout without an answer (it, or its answer, was lost).
    /// Resending on every heartbeat instead would start one more stream of
    /// chunks per heartbeat, and a large snapshot would crawl behind its own
    /// duplicates.
    mutating func resendSnapshotChunkIfOverdue(to replica: MemberID) {
        if let out = snapshotChunksOut[replica], tickCount < out.sentTick + UInt64(configuration.electionTimeoutTicks) {
            return
        }
        resendSnapshotChunk(to: replica)
    }

    /// Resends the chunk the follower is waiting for (a chunk may be lost).
    mutating func resendSnapshotChunk(to replica: MemberID) {
        resendSnapshotChunk(to: replica, offset: snapshotChunksOut[replica]?.offset)
    }

    /// Sends the chunk at `offset` of the snapshot `replica` is receiving,
    /// or, if the leader has taken a newer snapshot since, starts over.
    private mutating func resendSnapshotChunk(to replica: MemberID, offset: Int?) {
        guard let current = progress[replica], current.state == .snapshot else { return }
        guard current.pendingSnapshot == snapshot.metadata.index, let offset else {
            snapshotChunksOut[replica] = nil
            progress[replica]!.becomeProbe()
            sendAppend(to: replica)
            return
        }
        sendSnapshotChunk(to: replica, offset: offset)
    }

    mutating func handleSnapshotChunkResponse(_ message: RaftMessage, _ response: RaftMessage.SnapshotChunkResponse) {
        let replica = message.from
        guard let current = progress[replica] else { return }
        progress[replica]!.recentActive = true
        guard current.state == .snapshot, current.pendingSnapshot == response.snapshotIndex else { return }
        if response.rejected {
            snapshotChunksOut[replica] = nil
            progress[replica]!.becomeProbe()
            sendAppend(to: replica)
            return
        }
        // Only the answer to the chunk out moves the transfer on, whatever
        // offset it asks for (less than before if the follower restarted
        // and lost what it had received). An answer to an earlier chunk is
        // late (a duplicate, or the first copy of a resent chunk): acting on
        // it would start a second stream of chunks beside the first.
        guard response.chunkOffset == snapshotChunksOut[replica]?.offset else { return }
        resendSnapshotChunk(to: replica, offset: response.nextOffset)
    }

    /// A follower receives one chunk; the last one installs the snapshot.
    mutating func handleSnapshotChunk(_ message: RaftMessage, _ chunk: RaftMessage.SnapshotChunk) {
        let metadata = chunk.metadata
        if metadata.index <= log.committed {
            // Everything the snapshot holds is committed here already.
            incomingSnapshot = nil
            if chunk.isLast {
                send(to: message.from, .appendResponse(.init(rejected: false, index: log.committed)))
            } else {
                send(
                    to: message.from,
                    .snapshotChunkResponse(.init(snapshotIndex: metadata.index, chunkOffset: chunk.offset, nextOffset: 0, rejected: true)))
            }
            return
        }
        let follows = chunk.offset == 0 || (incomingSnapshot?.metadata == metadata && incomingSnapshot?.received == chunk.offset)
        guard follows else {
            let expected = incomingSnapshot.map { $0.metadata == metadata ? $0.received : 0 } ?? 0
            send(
                to: message.from,
                .snapshotChunkResponse(.init(snapshotIndex: metadata.index, chunkOffset: chunk.offset, nextOffset: expected, rejected: false)))
            return
        }
        guard storeIncomingChunk(chunk) else {
            // Not stored: no answer, so the leader resends the chunk once
            // it is overdue.
            return
        }
        guard chunk.isLast, let incoming = incomingSnapshot else {
            let received = incomingSnapshot?.received ?? 0
            send(
                to: message.from,
                .snapshotChunkResponse(.init(snapshotIndex: metadata.index, chunkOffset: chunk.offset, nextOffset: received, rejected: false)))
            return
        }
        let data = incoming.data ?? snapshotFiles?.readIncomingSnapshot(metadata)
        guard let data, data.count == incoming.received else {
            // The stored chunks cannot be read back: start over.
            incomingSnapshot = nil
            send(
                to: message.from,
                .snapshotChunkResponse(.init(snapshotIndex: metadata.index, chunkOffset: chunk.offset, nextOffset: 0, rejected: false)))
            return
        }
        incomingSnapshot = nil
        installSnapshot(RaftSnapshot(metadata: metadata, data: data))
        // The acknowledgement leaves only once the snapshot is durable.
        send(to: message.from, .appendResponse(.init(rejected: false, index: log.lastIndex)))
    }

    /// Records a chunk that starts the snapshot or follows the last one
    /// received: in the driver's snapshot files when there are some,
    /// otherwise in memory. Returns false when the files refused it.
    private mutating func storeIncomingChunk(_ chunk: RaftMessage.SnapshotChunk) -> Bool {
        if let snapshotFiles {
            guard snapshotFiles.writeIncomingSnapshot(chunk.metadata, offset: chunk.offset, chunk.data) else { return false }
            incomingSnapshot = IncomingSnapshot(metadata: chunk.metadata, received: chunk.offset + chunk.data.count, data: nil)
        } else if chunk.offset == 0 {
            incomingSnapshot = IncomingSnapshot(metadata: chunk.metadata, received: chunk.data.count, data: chunk.data)
        } else {
            // Appended in place: a copy taken out of `incomingSnapshot` and
            // put back would copy everything received so far on every chunk.
            incomingSnapshot!.data!.append(contentsOf: chunk.data)
            incomingSnapshot!.received += chunk.data.count
        }
        return true
    }

    /// Raft Figure 13, receiver steps 6–8.
    private mutating func installSnapshot(_ complete: RaftSnapshot) {
        let metadata = complete.metadata
        if log.matchTerm(metadata.index, metadata.term) {
            // The log already holds the snapshot's last entry: keep the log
            // and only learn that everything up to it is committed.
            log.commit(to: metadata.index)
            return
        }
        log.restore(metadata)
        // The bytes stay until the persist below makes them durable.
        snapshot = LatestSnapshot(metadata: metadata, size: complete.data.count, data: complete.data)
        snapshotToPersist = complete
        outbox.snapshotToInstall = complete
        outbox.committedEntries.removeAll()
        switchConfiguration(to: metadata.configuration)
    }
}

/// The snapshot chunk a leader last sent to one follower.
struct SnapshotChunkOut: Sendable, Hashable {
    /// The chunk's offset in the snapshot.
    var offset: Int
    /// The tick at which it was sent: a heartbeat answer resends it only
    /// once it has been out for an election timeout.
    var sentTick: UInt64
}
