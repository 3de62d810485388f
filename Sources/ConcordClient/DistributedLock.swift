/// A held lock: etcd's `concurrency.Mutex` recipe, which works against any
/// etcd v3 server.
///
/// Each contender writes a key `<name>/<lease in hex>` attached to its
/// session's lease; keys are served in create-revision order, and the
/// contender whose key has the lowest create revision holds the lock. A
/// waiter watches only the key just ahead of it, so a release wakes one waiter.
///
/// ## Fencing
///
/// Holding a lock does not stop a paused process from acting as if it still
/// held it: a holder that stalls (a long GC pause, a stopped VM, a partition)
/// past its lease's TTL loses the lock, another client acquires it, and then
/// the first one wakes and writes. ``fencingToken`` — the lock key's create
/// revision — rises with every acquisition. ``ConcordClient/put(_:_:fencedBy:)``
/// and ``ConcordClient/txn(fencedBy:)`` make a write conditional on the lock
/// key still having that create revision, so the stale holder's write is
/// refused by the server with ``ConcordClientError/fencingTokenRejected(lockKey:token:)``
/// instead of overwriting the new holder's work.
public struct DistributedLock: Sendable {
    /// The lock's name (the key prefix contenders queue under).
    public let name: String
    /// This holder's key.
    public let key: String
    /// The create revision of ``key``: a fencing token, strictly greater for
    /// every later holder of the same lock.
    public let fencingToken: Int64
    /// The session that owns the lock; its end releases the lock.
    public let session: Session

    /// Waits until the lock named `name` is held by `session`.
    ///
    /// Cancelling the waiting task removes this contender's key.
    public static func acquire(_ name: String, session: Session) async throws -> DistributedLock {
        let client = session.client
        let prefix = name.hasSuffix("/") ? name : name + "/"
        let key = prefix + String(session.lease, radix: 16)
        let result = try await client.txn()
            .when(.absent(key))
            .then(.put(key, [], lease: session.lease))
            .else(.get(.key(key)))
            .commit()
        let revision: Int64
        if result.succeeded {
            revision = result.revision
        } else if let existing = result.results.first?.range?.kvs.first {
            revision = existing.createRevision
        } else {
            throw ConcordClientError.sessionClosed
        }
        do {
            try await client.waitDeletes(prefix: prefix, before: revision)
        } catch {
            _ = try? await client.delete(.key(key))
            throw error
        }
        // The wait ends when earlier keys are gone; check ours survived
        // (the session may have expired while waiting).
        guard let mine = try await client.get(key), mine.createRevision == revision else {
            throw ConcordClientError.sessionClosed
        }
        return DistributedLock(name: prefix, key: key, fencingToken: revision, session: session)
    }

    /// Releases the lock by deleting this holder's key.
    public func release() async throws(ConcordClientError) {
        try await session.client.delete(.key(key))
    }

    /// The comparison a fenced write makes: the lock key still has this
    /// holder's create revision.
    public var fence: Compare { .createRevision(key, .equal, fencingToken) }
}

extension ConcordClient {
    /// Writes `value` to `key` only while `lock` is still held by the holder
    /// that acquired it, in one transaction with the check.
    /// - Throws: ``ConcordClientError/fencingTokenRejected(lockKey:token:)``
    ///   when the lock was lost (and the write did not happen).
    @discardableResult
    public func put(_ key: String, _ value: String, fencedBy lock: DistributedLock) async throws(ConcordClientError) -> Int64 {
        let result = try await txn(fencedBy: lock).then(.put(key, value)).commit()
        guard result.succeeded else { throw .fencingTokenRejected(lockKey: lock.key, token: lock.fencingToken) }
        return result.revision
    }

    /// A transaction whose `then` branch runs only while `lock` is held by
    /// the holder that acquired it; add operations with `then`.
    public func txn(fencedBy lock: DistributedLock) -> Txn {
        txn().when(lock.fence)
    }
}
