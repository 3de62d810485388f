extension MVCCStore {
    /// Performs a put whose checks passed.
    mutating func put(_ request: PutRequest, _ write: inout WriteBatch) -> PutResponse {
        let previous = latest(request.key)
        var value = request.value
        var lease = request.lease
        if request.ignoreValue || request.ignoreLease {
            guard let previous else { preconditionFailure("a validated put with an ignore flag found no key") }
            if request.ignoreValue { value = previous.value }
            if request.ignoreLease { lease = previous.lease }
        }
        let revision = write.nextChange()
        index.put(key: request.key, value: value, lease: lease, at: revision)
        return PutResponse(
            header: ResponseHeader(revision: revision.main), prevKV: request.prevKV ? previous : nil)
    }

    /// Performs a delete: every key of the range that exists now gets a
    /// tombstone.
    mutating func deleteRange(_ request: DeleteRangeRequest, _ write: inout WriteBatch) -> DeleteRangeResponse {
        var deleted: [KeyValue] = []
        for position in index.positions(key: request.key, rangeEnd: request.rangeEnd) {
            guard let current = index[position].latest else { continue }
            let revision = write.nextChange()
            let removed = index.delete(at: position, revision: revision)
            precondition(removed, "a live key refused its delete")
            deleted.append(current)
        }
        let revision = deleted.isEmpty && write.changes == 0 ? write.beginRevision : write.beginRevision + 1
        return DeleteRangeResponse(
            header: ResponseHeader(revision: revision), deleted: Int64(deleted.count),
            prevKVs: request.prevKV ? deleted : [])
    }

    /// Ends a write transaction: a transaction that changed something
    /// creates its revision.
    mutating func finish(_ write: WriteBatch) {
        precondition(write.beginRevision == currentRevision, "write batches do not interleave")
        if write.changes > 0 {
            currentRevision += 1
        }
    }
}
