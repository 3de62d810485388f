import Foundation
import Synchronization

/// A lease kept alive in the background, the owner of ephemeral keys, locks
/// and campaigns (ZooKeeper's session, etcd's `concurrency.Session`).
///
/// Keys written with the session's ``lease`` disappear when the session ends:
/// on ``close()`` (the lease is revoked at once) or when the process holding
/// it stops renewing (the lease expires after its TTL). A session whose lease
/// expired is lost for good: ``isLost`` turns true and ``lost()`` returns.
/// The session also counts itself lost when no renewal succeeded for a whole
/// TTL (every endpoint unreachable), since the server may have expired it.
public final class Session: Sendable {
    /// The client the session renews through.
    public let client: ConcordClient
    /// The lease ID; attach keys to it to make them ephemeral.
    public let lease: Int64
    /// The TTL the server granted, in seconds.
    public let ttlSeconds: Int64

    private struct State {
        var keepAlive: Task<Void, Never>?
        var lost = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    /// Grants a lease of `ttlSeconds` and starts renewing it every third of its TTL.
    public init(client: ConcordClient, ttlSeconds: Int64 = 60) async throws(ConcordClientError) {
        self.client = client
        let granted = try await client.grantLease(ttlSeconds: ttlSeconds)
        lease = granted.id
        self.ttlSeconds = granted.ttlSeconds
        let interval = Duration.milliseconds(max(granted.ttlSeconds * 1000 / 3, 100))
        let ttl = Duration.seconds(granted.ttlSeconds)
        let task = Task { [weak self, client, lease = granted.id] in
            let clock = ContinuousClock()
            var lastRenewal = clock.now
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                    try await client.keepAliveOnce(lease)
                    lastRenewal = clock.now
                } catch ConcordClientError.leaseExpired {
                    self?.markLost()
                    return
                } catch is CancellationError {
                    return
                } catch {
                    // No endpoint answered this round. Once a whole TTL has
                    // passed without a renewal the server may have expired
                    // the lease: report the session lost rather than let its
                    // owner believe it still holds its keys.
                    if clock.now - lastRenewal >= ttl {
                        self?.markLost()
                        return
                    }
                }
            }
        }
        state.withLock { $0.keepAlive = task }
    }

    deinit {
        state.withLock { $0.keepAlive?.cancel() }
    }

    /// Whether the lease is known to have expired or been revoked.
    public var isLost: Bool { state.withLock { $0.lost } }

    /// Returns once the session is lost or closed.
    public func lost() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { s in
                if s.lost { return true }
                s.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Stops renewing and revokes the lease, deleting every key attached to it.
    public func close() async throws(ConcordClientError) {
        state.withLock { $0.keepAlive?.cancel() }
        defer { markLost() }
        do {
            try await client.revokeLease(lease)
        } catch let error where error.code == .notFound {
            // Already expired: its keys are gone.
        }
    }

    /// Stops renewing without revoking, as a crashed owner would: the lease
    /// and its keys vanish after the TTL.
    public func abandon() {
        state.withLock { $0.keepAlive?.cancel() }
    }

    private func markLost() {
        let waiters = state.withLock { s in
            s.lost = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
