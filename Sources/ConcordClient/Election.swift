/// Leader election on a key prefix: etcd's `concurrency.Election` recipe,
/// which works against any etcd v3 server.
///
/// Candidates write `<prefix>/<lease in hex>` with their value, attached to
/// their session's lease; the candidate with the lowest create revision leads.
/// When the leader's session ends (closed, or its lease expired after its
/// process stopped) its key is deleted and the next candidate leads.
public struct Election: Sendable {
    /// A won campaign.
    public struct Leadership: Sendable {
        /// The leader's key.
        public let key: String
        /// The key's create revision: like a lock's fencing token, it grows
        /// with every new leader.
        public let revision: Int64
        /// The session that holds leadership.
        public let session: Session
    }

    /// The client the election runs through.
    public let client: ConcordClient
    /// The key prefix candidates queue under (ends with `/`).
    public let prefix: String

    /// An election under `prefix`.
    public init(client: ConcordClient, prefix: String) {
        self.client = client
        self.prefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
    }

    /// Waits until `session` leads, announcing `value`.
    public func campaign(_ value: String, session: Session) async throws -> Leadership {
        let key = prefix + String(session.lease, radix: 16)
        let result = try await client.txn()
            .when(.absent(key))
            .then(.put(key, value, lease: session.lease))
            .else(.get(.key(key)))
            .commit()
        var revision = result.revision
        if !result.succeeded {
            guard let existing = result.results.first?.range?.kvs.first else { throw ConcordClientError.sessionClosed }
            revision = existing.createRevision
            if existing.stringValue != value {
                let leadership = Leadership(key: key, revision: revision, session: session)
                try await proclaim(value, leadership: leadership)
            }
        }
        do {
            try await client.waitDeletes(prefix: prefix, before: revision)
        } catch {
            _ = try? await client.delete(.key(key))
            throw error
        }
        guard let mine = try await client.get(key), mine.createRevision == revision else {
            throw ConcordClientError.sessionClosed
        }
        return Leadership(key: key, revision: revision, session: session)
    }

    /// Changes the leader's announced value without an election.
    /// - Throws: ``ConcordClientError/fencingTokenRejected(lockKey:token:)``
    ///   when `leadership` was lost.
    public func proclaim(_ value: String, leadership: Leadership) async throws(ConcordClientError) {
        let result = try await client.txn()
            .when(.createRevision(leadership.key, .equal, leadership.revision))
            .then(.put(leadership.key, value, lease: leadership.session.lease))
            .commit()
        guard result.succeeded else { throw .fencingTokenRejected(lockKey: leadership.key, token: leadership.revision) }
    }

    /// Gives up leadership (or a place in the queue).
    public func resign(_ leadership: Leadership) async throws(ConcordClientError) {
        _ = try await client.txn()
            .when(.createRevision(leadership.key, .equal, leadership.revision))
            .then(.delete(.key(leadership.key)))
            .commit()
    }

    /// The current leader's key and value, or nil when nobody campaigns.
    public func leader() async throws(ConcordClientError) -> StoredKey? {
        var options = GetOptions()
        options.sortOrder = .ascending
        options.sortTarget = .createRevision
        options.limit = 1
        return try await client.get(.prefix(prefix), options: options).kvs.first
    }

    /// Each leader (key and value) as it changes, starting with the current
    /// one; nil while nobody leads.
    public func observe() -> AsyncThrowingStream<StoredKey?, any Error> {
        let snapshots = client.watchPrefixSnapshots(prefix)
        let (stream, continuation) = AsyncThrowingStream<StoredKey?, any Error>.makeStream()
        let task = Task {
            var last: StoredKey?? = .none
            do {
                for try await snapshot in snapshots {
                    let leader = snapshot.values.min { $0.createRevision < $1.createRevision }
                    if last == nil || last! != leader {
                        continuation.yield(leader)
                        last = .some(leader)
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
