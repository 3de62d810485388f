extension ConcordClient {
    /// Waits until no key under `prefix` has a create revision below
    /// `revision`: the queue-ahead wait of etcd's lock and election recipes.
    ///
    /// Each round reads the last key created before `revision` and watches it
    /// from the read's revision until it is deleted; a key re-created later
    /// has a create revision above ours and does not count.
    func waitDeletes(prefix: String, before revision: Int64) async throws {
        while true {
            try Task.checkCancellation()
            var options = GetOptions()
            options.maxCreateRevision = revision - 1
            options.sortOrder = .descending
            options.sortTarget = .createRevision
            options.limit = 1
            let result = try await get(.prefix(prefix), options: options)
            guard let last = result.kvs.first else { return }
            var watchOptions = WatchOptions()
            watchOptions.startRevision = result.revision + 1
            watchOptions.noPut = true
            for try await event in watch(.key(last.key), options: watchOptions) where event.kind == .delete {
                break
            }
        }
    }
}
