import ConcordClient
import Testing

@Suite struct LeaseTests {
    @Test func grantAttachTimeToLiveKeepAliveAndRevokeDeletesKeys() async throws {
        try await withEtcd { _, client in
            let lease = try await client.grantLease(ttlSeconds: 30)
            #expect(lease.ttlSeconds == 30)
            try await client.put("lease/a", "1", lease: lease.id)
            try await client.put("lease/b", "2", lease: lease.id)
            let info = try await client.leaseTimeToLive(lease.id, keys: true)
            #expect(info.grantedTTLSeconds == 30)
            #expect(info.ttlSeconds > 0 && info.ttlSeconds <= 30)
            #expect(Set(info.keys) == ["lease/a", "lease/b"])
            #expect(try await client.keepAliveOnce(lease.id) == 30)

            try await client.revokeLease(lease.id)
            #expect(try await client.get(.prefix("lease/")).kvs.isEmpty)
            #expect(try await client.leaseTimeToLive(lease.id).ttlSeconds == -1)
            await #expect(throws: ConcordClientError.leaseExpired(id: lease.id)) { try await client.keepAliveOnce(lease.id) }
        }
    }

    @Test func sessionKeepsItsLeaseAliveUntilAbandonedThenKeysExpire() async throws {
        try await withEtcd { _, client in
            let session = try await Session(client: client, ttlSeconds: 1)
            try await session.createEphemeral("session/owned", value: "mine")
            // Well past two TTLs the key is still there: the keep-alive renews it.
            let clock = ContinuousClock()
            let until = clock.now + .milliseconds(Int64(session.ttlSeconds) * 2500)
            while clock.now < until {
                #expect(try await client.get("session/owned") != nil)
                try await Task.sleep(for: .milliseconds(250))
            }
            // A crashed owner stops renewing: the key vanishes after the TTL.
            session.abandon()
            try await eventually(deadline: .seconds(15), "the abandoned session's key did not expire") {
                try await client.get("session/owned") == nil
            }
        }
    }
}
