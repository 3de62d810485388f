import ConcordFoundation

/// Hinted handoff (Dynamo §4.6): a member holding copies for another (hints
/// from sloppy writes, or keys it no longer replicates after a ring change)
/// offers them in batches until the owner acknowledges them, and only then
/// drops them.
struct HandoffState: Sendable {
    /// One offered batch.
    struct Batch: Sendable {
        var target: MemberID
        /// Each key offered and the digest of the copy offered.
        var offered: [(key: ByteString, digest: UInt64)]
    }

    /// Batches offered and not yet acknowledged, by id.
    var batches: [UInt64: Batch] = [:]
    /// The open batch for each target (one at a time per target).
    var openBatch: [MemberID: UInt64] = [:]
}

extension DynamoNode {
    /// Offers one batch of hints to every member that has some, replacing
    /// any batch still unacknowledged (it or its answer may be lost).
    mutating func offerHandoffs(_ output: inout DynamoOutput) {
        retargetOrphanHints(&output)
        for target in hints.keys.sorted() where target != member && ring.contains(target) {
            if let open = handoff.openBatch[target] { handoff.batches[open] = nil }
            let copies = handoffBatch(hints[target]!)
            guard !copies.isEmpty else { continue }
            let batch = makeIdentifier()
            handoff.openBatch[target] = batch
            handoff.batches[batch] = HandoffState.Batch(target: target, offered: copies.map { ($0.key, $0.object.digest) })
            output.send(.handoff(batch: batch, objects: copies), to: target)
            if has(.hintedHandoffDropsHints) {
                for copy in copies { dropHint(copy.key, target: target, &output) }
            }
        }
    }

    /// The next batch of `held` to offer, in key order: at most
    /// `handoffKeysPerMessageMax` copies and `handoffBytesPerMessageMax`
    /// bytes of them, but at least one copy.
    func handoffBatch(_ held: [ByteString: StoredObject]) -> [KeyedObject] {
        var batch: [KeyedObject] = []
        var bytes = 0
        for key in held.keys.sorted() {
            guard batch.count < settings.handoffKeysPerMessageMax else { break }
            let object = held[key]!
            var writer = BinaryWriter()
            object.encode(to: &writer)
            let size = key.bytes.count + writer.count
            if !batch.isEmpty && bytes + size > settings.handoffBytesPerMessageMax { break }
            batch.append(KeyedObject(key: key, object: object))
            bytes += size
        }
        return batch
    }

    /// Hints for members no longer on the ring (a write begun before the
    /// ring changed can still leave one) go to the key's current replicas,
    /// or into this member's own copy when it is one of them.
    mutating func retargetOrphanHints(_ output: inout DynamoOutput) {
        for target in hints.keys.sorted() where !ring.contains(target) || target == member {
            for key in hints[target]!.keys.sorted() {
                let object = hints[target]![key]!
                if replicates(key) {
                    mergeCopy(object, for: key, &output)
                } else if let owner = ringReplicas(of: key).first(where: { $0 != member }) {
                    mergeHint(object, for: key, target: owner, &output)
                }
                dropHint(key, target: target, &output)
            }
        }
    }

    /// Merges handed-over copies (keeping, as hints, any this member does
    /// not replicate) and acknowledges the batch.
    mutating func onHandoff(batch: UInt64, copies: [KeyedObject], from: MemberID, _ output: inout DynamoOutput) {
        for copy in copies {
            if replicates(copy.key) {
                mergeCopy(copy.object, for: copy.key, &output)
            } else if let owner = ringReplicas(of: copy.key).first(where: { $0 != member && $0 != from }) {
                mergeHint(copy.object, for: copy.key, target: owner, &output)
            } else {
                mergeCopy(copy.object, for: copy.key, &output)
            }
        }
        output.send(.handoffAck(batch: batch), to: from)
    }

    /// Drops the acknowledged hints whose copy has not changed since it was
    /// offered.
    mutating func onHandoffAck(batch: UInt64, from: MemberID, _ output: inout DynamoOutput) {
        guard let offered = handoff.batches.removeValue(forKey: batch), offered.target == from else { return }
        if handoff.openBatch[from] == batch { handoff.openBatch[from] = nil }
        var delivered = 0
        for (key, digest) in offered.offered where hints[from]?[key]?.digest == digest {
            dropHint(key, target: from, &output)
            delivered += 1
        }
        statistics.hintsDelivered += delivered
        if delivered > 0 { output.notes.append("hinted handoff: \(delivered) keys delivered to \(from)") }
    }
}
