/// The replica side of writes and repairs.
extension DynamoNode {
    /// Stores a coordinator's copy: as a hint when this member stands in
    /// for another, pending when the write has dependencies (causal mode),
    /// merged into the visible copy otherwise. Acknowledged once durable
    /// (the acknowledgement leaves with this output's records).
    mutating func onReplicate(_ write: ReplicaWrite, from: MemberID, _ output: inout DynamoOutput) {
        let key = write.key
        if let target = write.hintFor, target != member {
            mergeHint(write.object, for: key, target: target, &output)
            statistics.hintsStored += 1
        } else if !write.dependencies.isEmpty && !has(.causalDependencyNotWaited) {
            var writes = pending[key] ?? []
            if !writes.contains(where: { $0.object == write.object }) {
                guard writes.count < settings.pendingWritesPerKeyMax else { return }
                writes.append(PendingWrite(object: write.object, dependencies: write.dependencies))
                setPending(key, writes, &output)
            }
        } else if replicates(key) {
            mergeCopy(write.object, for: key, &output)
        } else if let owner = ringReplicas(of: key).first(where: { $0 != member }) {
            // The rings disagree: keep it for a member that does replicate it.
            mergeHint(write.object, for: key, target: owner, &output)
        } else {
            return
        }
        output.send(.replicateAck(operation: write.operation), to: from)
    }

    /// Read repair: merges a newer copy of a key this member replicates.
    mutating func onRepair(_ keyed: KeyedObject, from: MemberID, _ output: inout DynamoOutput) {
        guard replicates(keyed.key) else { return }
        mergeCopy(keyed.object, for: keyed.key, &output)
    }

    /// After a ring change (or at start): copies of keys this member no
    /// longer replicates become hints for the members that now do and did
    /// not before (all of the key's replicas when the previous ring is
    /// unknown), and hints for members that left go to the key's replicas.
    /// After a change, copies of keys this member keeps are also given, as
    /// hints, to the replicas the key gained: a member that left may be
    /// gone before it hands anything over, so every previous holder sends
    /// (the joining member merges what arrives more than once).
    mutating func reconcileOwnership(previous: Ring?, _ output: inout DynamoOutput) {
        guard !ring.members.isEmpty else { return }
        var moved = 0
        var copied = 0
        let skipsHandoff = previous != nil && has(.ringChangeSkipsHandoff)
        for key in objects.keys.sorted() {
            let now = ringReplicas(of: key)
            let keeps = now.contains(member)
            var targets = keeps ? [] : now
            if let previous {
                let before = previous.replicas(of: key, count: min(settings.replicationFactor, previous.members.count))
                let joining = now.filter { !before.contains($0) }
                if !joining.isEmpty { targets = joining }
                if keeps && before.contains(member) == false { targets = [] }
            }
            guard !keeps || !targets.isEmpty else { continue }
            let object = objects[key]!
            if !skipsHandoff {
                for target in targets where target != member {
                    mergeHint(object, for: key, target: target, &output)
                }
            }
            if keeps {
                copied += 1
            } else {
                dropCopy(key, &output)
                moved += 1
            }
        }
        retargetOrphanHints(&output)
        if moved > 0 { output.notes.append("ring change: \(moved) keys to hand over") }
        if copied > 0 { output.notes.append("ring change: \(copied) kept keys copied to new replicas") }
    }
}
