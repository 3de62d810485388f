/// Every key under a prefix at one revision, as a watch keeps it current.
public struct PrefixSnapshot: Sendable {
    /// The revision the snapshot reflects.
    public var revision: Int64
    /// The keys and their values, by key.
    public var entries: [String: StoredKey]

    /// The values, in key order.
    public var values: [StoredKey] { entries.keys.sorted().map { entries[$0]! } }
}

extension ConcordClient {
    /// The keys under `prefix` now, then again after every revision that
    /// changes them, one snapshot per revision: one read, then a watch from
    /// the read's revision + 1 (so no change between the two is missed).
    ///
    /// This is configuration with a watch (ZooKeeper's `getData` with a
    /// watch, re-armed for ever) and the view of a group's members.
    public func watchPrefixSnapshots(_ prefix: String) -> AsyncThrowingStream<PrefixSnapshot, any Error> {
        let (stream, continuation) = AsyncThrowingStream<PrefixSnapshot, any Error>.makeStream()
        let task = Task { [self] in
            do {
                let initial = try await get(.prefix(prefix))
                var snapshot = PrefixSnapshot(
                    revision: initial.revision,
                    entries: Dictionary(initial.kvs.map { ($0.key, $0) }, uniquingKeysWith: { $1 }))
                continuation.yield(snapshot)
                var options = WatchOptions()
                options.startRevision = initial.revision + 1
                for try await events in watchBatches(.prefix(prefix), options: options) {
                    // One batch may hold several revisions (a watch that
                    // starts behind catches up in one response): each
                    // revision gets its own snapshot, and a transaction's
                    // changes (one revision) stay together.
                    for (index, event) in events.enumerated() {
                        switch event.kind {
                        case .put: snapshot.entries[event.kv.key] = event.kv
                        case .delete: snapshot.entries[event.kv.key] = nil
                        }
                        snapshot.revision = event.revision
                        if index == events.count - 1 || events[index + 1].revision != event.revision {
                            continuation.yield(snapshot)
                        }
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
