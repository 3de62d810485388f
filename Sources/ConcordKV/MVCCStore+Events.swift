/// Reading the store's history as watch events: what a revision changed,
/// and every change to a key range between two revisions.
extension MVCCStore {
    /// The changes of the keys `key`/`rangeEnd` select (as in a range
    /// request) with main revisions in `revisions`, ordered by revision and
    /// sub-revision, each with the key's previous value.
    ///
    /// Revisions at or below `compactedRevision` may be incomplete (a
    /// compaction drops tombstones and older versions); callers check that
    /// first.
    public func events(key: [UInt8], rangeEnd: [UInt8], revisions: ClosedRange<Int64>) -> [WatchEvent] {
        var events: [WatchEvent] = []
        for position in index.positions(key: key, rangeEnd: rangeEnd) {
            Self.appendEvents(of: index[position], revisions: revisions, to: &events)
        }
        events.sort { ($0.revision, $0.subRevision) < ($1.revision, $1.subRevision) }
        return events
    }

    /// The changes `command` made if it created revision `revision`
    /// (empty when it changed nothing), in sub-revision order. Only the key
    /// ranges the command names are scanned.
    public func events(of command: KVCommand, at revision: Int64) -> [WatchEvent] {
        var ranges: [(key: [UInt8], rangeEnd: [UInt8])] = []
        Self.collectWrittenRanges(command, into: &ranges)
        var seen: Set<[UInt8]> = []
        var events: [WatchEvent] = []
        for range in ranges {
            for position in index.positions(key: range.key, rangeEnd: range.rangeEnd) {
                let history = index[position]
                guard seen.insert(history.key).inserted else { continue }
                Self.appendEvents(of: history, revisions: revision...revision, to: &events)
            }
        }
        events.sort { $0.subRevision < $1.subRevision }
        return events
    }

    private static func collectWrittenRanges(_ command: KVCommand, into ranges: inout [(key: [UInt8], rangeEnd: [UInt8])]) {
        switch command {
        case .put(let put): ranges.append((put.key, []))
        case .deleteRange(let delete): ranges.append((delete.key, delete.rangeEnd))
        case .txn(let txn): collectWrittenRanges(txn, into: &ranges)
        case .compact: break
        }
    }

    private static func collectWrittenRanges(_ txn: TxnRequest, into ranges: inout [(key: [UInt8], rangeEnd: [UInt8])]) {
        for operation in txn.success + txn.failure {
            switch operation {
            case .put(let put): ranges.append((put.key, []))
            case .deleteRange(let delete): ranges.append((delete.key, delete.rangeEnd))
            case .txn(let inner): collectWrittenRanges(inner, into: &ranges)
            case .range: break
            }
        }
    }

    /// Appends one key's puts and deletes whose main revision is in
    /// `revisions`.
    static func appendEvents(of history: KeyHistory, revisions: ClosedRange<Int64>, to events: inout [WatchEvent]) {
        for generation in history.generations {
            for version in generation.versions where revisions.contains(version.revision.main) {
                let kv = KeyValue(
                    key: history.key, createRevision: generation.createRevision, modRevision: version.revision.main,
                    version: version.version, value: version.value, lease: version.lease)
                events.append(
                    WatchEvent(
                        kind: .put, kv: kv, prevKV: history.value(at: version.revision.main - 1),
                        subRevision: version.revision.sub))
            }
            if let tombstone = generation.tombstone, revisions.contains(tombstone.main) {
                let kv = KeyValue(key: history.key, createRevision: 0, modRevision: tombstone.main, version: 0, value: [])
                events.append(
                    WatchEvent(
                        kind: .delete, kv: kv, prevKV: history.value(at: tombstone.main - 1), subRevision: tombstone.sub))
            }
        }
    }
}
