import ConcordClient
import Synchronization
import Testing

@Suite struct LockTests {
    /// Two clients, each with its own connection and session, increment a
    /// counter with an unguarded read-modify-write inside the lock; without
    /// mutual exclusion increments would be lost and holders would overlap.
    @Test func lockGivesMutualExclusionBetweenTwoClients() async throws {
        try await withEtcd { etcd, _ in
            let rounds = 15
            let tally = Tally()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        let client = try ConcordClient(endpoints: [etcd.endpoint])
                        defer { client.close() }
                        let session = try await Session(client: client, ttlSeconds: 30)
                        for _ in 0..<rounds {
                            let lock = try await DistributedLock.acquire("locks/counter", session: session)
                            tally.enter()
                            let current = try await client.get("counter").map { Int($0.stringValue)! } ?? 0
                            await Task.yield()
                            try await client.put("counter", "\(current + 1)", fencedBy: lock)
                            tally.leave()
                            try await lock.release()
                        }
                        try await session.close()
                    }
                }
                try await group.waitForAll()
            }
            let client = try ConcordClient(endpoints: [etcd.endpoint])
            defer { client.close() }
            #expect(try await client.get("counter")?.stringValue == "\(2 * rounds)")
            #expect(tally.overlaps == 0)
            #expect(try await client.get(.prefix("locks/counter/")).kvs.isEmpty)
        }
    }

    /// The failure fencing prevents: a holder pauses past its lease, loses
    /// the lock, another client takes it, and the first wakes up and writes.
    @Test func fencedWriteWithAStaleTokenIsRejected() async throws {
        try await withEtcd { etcd, client in
            let paused = try await Session(client: client, ttlSeconds: 30)
            let stale = try await DistributedLock.acquire("locks/fence", session: paused)
            try await client.put("fenced/data", "from-first", fencedBy: stale)
            // The first holder's lease ends while it is paused (revoking
            // stands in for expiry), and a second client acquires the lock.
            try await client.revokeLease(paused.lease)
            let other = try ConcordClient(endpoints: [etcd.endpoint])
            defer { other.close() }
            let current = try await DistributedLock.acquire("locks/fence", session: try await Session(client: other, ttlSeconds: 30))
            #expect(current.fencingToken > stale.fencingToken)
            try await other.put("fenced/data", "from-second", fencedBy: current)

            await #expect(throws: ConcordClientError.fencingTokenRejected(lockKey: stale.key, token: stale.fencingToken)) {
                try await client.put("fenced/data", "late-write-from-first", fencedBy: stale)
            }
            #expect(try await client.get("fenced/data")?.stringValue == "from-second")
            // An unfenced write would have gone through: the guard is what stops it.
            try await current.release()
        }
    }

    @Test func waitingForALockEndsWhenItsHolderSessionCloses() async throws {
        try await withEtcd { _, client in
            let first = try await Session(client: client, ttlSeconds: 30)
            let second = try await Session(client: client, ttlSeconds: 30)
            let held = try await DistributedLock.acquire("locks/queue", session: first)
            let waiter = Task { try await DistributedLock.acquire("locks/queue", session: second) }
            // The waiter queues behind the holder: its key exists, it does not hold.
            try await eventually(deadline: .seconds(10), "the waiter did not queue") {
                try await client.get(.prefix("locks/queue/")).kvs.count == 2
            }
            try await first.close()
            let acquired = try await waiter.value
            #expect(acquired.fencingToken > held.fencingToken)
            try await second.close()
        }
    }
}

/// Counts holders inside a critical section and how often two overlapped.
final class Tally: Sendable {
    private let state = Mutex((holders: 0, overlaps: 0))

    func enter() {
        state.withLock { s in
            s.holders += 1
            if s.holders > 1 { s.overlaps += 1 }
        }
    }

    func leave() { state.withLock { $0.holders -= 1 } }

    var overlaps: Int { state.withLock { $0.overlaps } }
}
