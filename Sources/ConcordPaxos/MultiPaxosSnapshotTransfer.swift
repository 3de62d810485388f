/// Sending the latest snapshot to an acceptor whose next slots were
/// compacted away, in chunks, and installing it there. An acceptor keeps
/// the slots after the snapshot: they are values it accepted.
extension MultiPaxosNode {
    /// Starts sending the snapshot. Returns true when a chunk was sent.
    mutating func sendSnapshot(to replica: ReplicaID) -> Bool {
        // Only an acceptor that answered recently gets a snapshot.
        guard progress[replica]!.recentActive else { return false }
        progress[replica]!.becomeSnapshot(snapshot.index)
        snapshotOffsets[replica] = 0
        sendSnapshotChunk(to: replica, offset: 0)
        return true
    }

    private mutating func sendSnapshotChunk(to replica: ReplicaID, offset: Int) {
        let data = snapshot.data
        let end = min(data.count, offset + configuration.snapshotChunkBytesMax)
        send(
            to: replica,
            .snapshotChunk(.init(index: snapshot.index, offset: offset, data: Array(data[offset..<end]), isLast: end == data.count)))
    }

    /// Resends the chunk the acceptor waits for (a chunk may be lost).
    mutating func resendSnapshotChunk(to replica: ReplicaID) {
        guard let current = progress[replica], current.state == .snapshot else { return }
        guard current.pendingSnapshot == snapshot.index, let offset = snapshotOffsets[replica] else {
            // A newer snapshot was taken since: start over.
            progress[replica]!.becomeProbe()
            sendAccept(to: replica)
            return
        }
        sendSnapshotChunk(to: replica, offset: min(offset, snapshot.data.count))
    }

    mutating func handleSnapshotChunkResponse(from replica: ReplicaID, _ response: MultiPaxosMessage.SnapshotChunkResponse) {
        guard let current = progress[replica] else { return }
        progress[replica]!.recentActive = true
        guard current.state == .snapshot, current.pendingSnapshot == response.index else { return }
        if response.rejected {
            snapshotOffsets[replica] = nil
            progress[replica]!.becomeProbe()
            sendAccept(to: replica)
            return
        }
        snapshotOffsets[replica] = response.nextOffset
        resendSnapshotChunk(to: replica)
    }

    /// An acceptor receives one chunk; the last one installs the snapshot,
    /// and the acknowledgement (an accept answer) leaves once it is durable.
    mutating func handleSnapshotChunk(_ message: MultiPaxosMessage, _ chunk: MultiPaxosMessage.SnapshotChunk) {
        if chunk.index <= log.committed {
            incomingSnapshot = nil
            if chunk.isLast {
                let agreed = log.agreedThrough(message.ballot)
                send(
                    to: message.from, ballot: message.ballot,
                    .acceptResponse(.init(agreedThrough: agreed, lastReceived: agreed, commit: log.committed)))
            } else {
                send(to: message.from, ballot: message.ballot, .snapshotChunkResponse(.init(index: chunk.index, nextOffset: 0, rejected: true)))
            }
            return
        }
        if chunk.offset == 0 {
            incomingSnapshot = MultiPaxosSnapshot(index: chunk.index, data: chunk.data)
        } else if var partial = incomingSnapshot, partial.index == chunk.index, partial.data.count == chunk.offset {
            partial.data.append(contentsOf: chunk.data)
            incomingSnapshot = partial
        } else {
            let expected = incomingSnapshot.map { $0.index == chunk.index ? $0.data.count : 0 } ?? 0
            send(to: message.from, ballot: message.ballot, .snapshotChunkResponse(.init(index: chunk.index, nextOffset: expected, rejected: false)))
            return
        }
        guard chunk.isLast, let complete = incomingSnapshot else {
            let received = incomingSnapshot?.data.count ?? 0
            send(to: message.from, ballot: message.ballot, .snapshotChunkResponse(.init(index: chunk.index, nextOffset: received, rejected: false)))
            return
        }
        incomingSnapshot = nil
        installSnapshot(complete)
        let agreed = log.agreedThrough(message.ballot)
        send(
            to: message.from, ballot: message.ballot,
            .acceptResponse(.init(agreedThrough: agreed, lastReceived: agreed, commit: log.committed)))
    }

    /// Replaces the state below `complete.index` with the snapshot.
    mutating func installSnapshot(_ complete: MultiPaxosSnapshot) {
        log.restore(snapshotAt: complete.index)
        snapshot = complete
        snapshotToPersist = complete
        outbox.snapshotToInstall = complete
        outbox.committedEntries.removeAll()
    }
}
