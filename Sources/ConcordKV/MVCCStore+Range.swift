extension MVCCStore {
    /// Serves a range request as etcd 3.4's `applierV3backend.Range` and
    /// `rangeKeys` do, with `currentRevision` the newest revision the reader
    /// may see (inside a write transaction, its own).
    func read(_ request: RangeRequest, currentRevision current: Int64) throws(KVError) -> RangeResponse {
        if request.revision > current { throw .futureRevision }
        let revision = request.revision <= 0 ? current : request.revision
        if revision < compactedRevision { throw .compacted }
        let header = ResponseHeader(revision: current)

        var kvs: [KeyValue] = []
        for position in index.positions(key: request.key, rangeEnd: request.rangeEnd) {
            if let pair = index[position].value(at: revision) {
                kvs.append(pair)
            }
        }
        // As in etcd, the count is taken before the revision filters and
        // before the limit.
        let count = Int64(kvs.count)
        if request.countOnly {
            return RangeResponse(header: header, kvs: [], more: false, count: count)
        }
        if request.maxModRevision != 0 { kvs.removeAll { $0.modRevision > request.maxModRevision } }
        if request.minModRevision != 0 { kvs.removeAll { $0.modRevision < request.minModRevision } }
        if request.maxCreateRevision != 0 { kvs.removeAll { $0.createRevision > request.maxCreateRevision } }
        if request.minCreateRevision != 0 { kvs.removeAll { $0.createRevision < request.minCreateRevision } }
        sort(&kvs, order: request.sortOrder, target: request.sortTarget)

        var more = false
        if request.limit > 0 && kvs.count > request.limit {
            kvs.removeSubrange(Int(request.limit)...)
            more = true
        }
        if request.keysOnly {
            for position in kvs.indices {
                kvs[position].value = []
            }
        }
        return RangeResponse(header: header, kvs: kvs, more: more, count: count)
    }

    /// Sorts pairs that arrive in key order. As in etcd, a target other
    /// than the key with no order sorts ascending. The sort is stable in
    /// both directions, so ties keep key order: etcd's `sort.Sort` (a plain
    /// insertion sort for up to 6 pairs) gives the same order for such small
    /// results, and leaves the order of ties unspecified for larger ones.
    private func sort(_ kvs: inout [KeyValue], order: RangeRequest.SortOrder, target: RangeRequest.SortTarget) {
        var order = order
        if target != .key && order == .none { order = .ascend }
        guard order != .none else { return }
        let ascending: (KeyValue, KeyValue) -> Bool
        switch target {
        case .key: ascending = { $0.key.lexicographicallyPrecedes($1.key) }
        case .version: ascending = { $0.version < $1.version }
        case .create: ascending = { $0.createRevision < $1.createRevision }
        case .mod: ascending = { $0.modRevision < $1.modRevision }
        case .value: ascending = { $0.value.lexicographicallyPrecedes($1.value) }
        }
        let precedes: (KeyValue, KeyValue) -> Bool = order == .descend ? { ascending($1, $0) } : ascending
        // Swift's sort is not guaranteed stable: break ties by position.
        let sorted = kvs.enumerated().sorted { left, right in
            if precedes(left.element, right.element) { return true }
            if precedes(right.element, left.element) { return false }
            return left.offset < right.offset
        }
        kvs = sorted.map(\.element)
    }
}
