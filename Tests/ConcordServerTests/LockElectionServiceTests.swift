import ConcordEtcdAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Synchronization
import Testing

/// Concord's own Lock and Election gRPC services (etcd's v3lock and
/// v3election) against a three-process cluster, through a gRPC client.
extension ProcessClusterTests {
@Suite struct LockElectionServiceTests {
    /// Shared state between a test and the calls it runs in tasks.
    private final class Shared<Value: Sendable>: Sendable {
        private let state: Mutex<Value>
        init(_ value: Value) { state = Mutex(value) }
        var value: Value { state.withLock { $0 } }
        func update(_ body: @Sendable (inout Value) -> Void) { state.withLock { body(&$0) } }
    }

    private struct Clients {
        let etcd: EtcdClient
        var lease: Etcdserverpb_Lease.Client<HTTP2ClientTransport.Posix> { .init(wrapping: etcd.client) }
        var lock: V3lockpb_Lock.Client<HTTP2ClientTransport.Posix> { .init(wrapping: etcd.client) }
        var election: V3electionpb_Election.Client<HTTP2ClientTransport.Posix> { .init(wrapping: etcd.client) }

        func grant(ttl: Int64) async throws -> Int64 {
            var request = Etcdserverpb_LeaseGrantRequest()
            request.ttl = ttl
            return try await lease.leaseGrant(request, options: EtcdClient.options(seconds: 5)).id
        }

        func revoke(_ id: Int64) async throws {
            var request = Etcdserverpb_LeaseRevokeRequest()
            request.id = id
            _ = try await lease.leaseRevoke(request, options: EtcdClient.options(seconds: 5))
        }

        func lock(_ name: String, lease: Int64, seconds: Double = 20) async throws -> V3lockpb_LockResponse {
            var request = V3lockpb_LockRequest()
            request.name = Data(name.utf8)
            request.lease = lease
            return try await lock.lock(request, options: EtcdClient.options(seconds: seconds))
        }

        func campaign(_ name: String, lease: Int64, value: String, seconds: Double = 20) async throws -> V3electionpb_LeaderKey {
            var request = V3electionpb_CampaignRequest()
            request.name = Data(name.utf8)
            request.lease = lease
            request.value = Data(value.utf8)
            return try await election.campaign(request, options: EtcdClient.options(seconds: seconds)).leader
        }

        func leader(_ name: String) async throws -> String {
            var request = V3electionpb_LeaderRequest()
            request.name = Data(name.utf8)
            let response = try await election.leader(request, options: EtcdClient.options(seconds: 5))
            return String(decoding: response.kv.value, as: UTF8.self)
        }

        func proclaim(_ leader: V3electionpb_LeaderKey, _ value: String) async throws {
            var request = V3electionpb_ProclaimRequest()
            request.leader = leader
            request.value = Data(value.utf8)
            _ = try await election.proclaim(request, options: EtcdClient.options(seconds: 5))
        }

        func createRevision(_ key: Data) async throws -> Int64? {
            var request = Etcdserverpb_RangeRequest()
            request.key = key
            return try await etcd.kv.range(request, options: EtcdClient.options(seconds: 5)).kvs.first?.createRevision
        }
    }

    private func run(_ body: (ProcessCluster, Clients) async throws -> Void) async throws {
        try await ProcessCluster.withRunningCluster(size: 3) { cluster in
            let leader = try await cluster.waitForLeader(seconds: 20)
            // Leases are kept and expired by the Raft leader, so talk to it.
            let clients = Clients(etcd: try EtcdClient(port: cluster.nodes[leader].clientPort))
            try await body(cluster, clients)
        }
    }

    @Test func lockQueuesByCreateRevisionAndUnlockHandsItOver() async throws {
        try await run { _, clients in
            let first = try await clients.grant(ttl: 30), second = try await clients.grant(ttl: 30)
            let held = try await clients.lock("job", lease: first)
            #expect(String(decoding: held.key, as: UTF8.self) == "job/" + String(UInt64(bitPattern: first), radix: 16))
            // The key's create revision is the holder's fencing token.
            let token = try #require(try await clients.createRevision(held.key))
            #expect(token <= held.header.revision)

            let acquired = Shared(false)
            let waiter = Task {
                let response = try await clients.lock("job", lease: second)
                acquired.update { $0 = true }
                return response
            }
            try await waitUntil("the second key to queue", seconds: 10) {
                try await clients.etcd.keys(prefix: "job/", serializable: false).count == 2
            }
            #expect(!acquired.value, "the lock let a second holder in")
            // A waiter whose call ends (here its deadline) leaves no key queued.
            let third = try await clients.grant(ttl: 30)
            await #expect(throws: RPCError.self) { try await clients.lock("job", lease: third, seconds: 1) }
            try await waitUntil("the abandoned waiter's key to go", seconds: 10) {
                try await clients.etcd.keys(prefix: "job/", serializable: false).count == 2
            }
            var unlock = V3lockpb_UnlockRequest()
            unlock.key = held.key
            _ = try await clients.lock.unlock(unlock, options: EtcdClient.options(seconds: 5))
            let next = try await waiter.value
            #expect(String(decoding: next.key, as: UTF8.self) == "job/" + String(UInt64(bitPattern: second), radix: 16))
            let nextToken = try #require(try await clients.createRevision(next.key))
            #expect(nextToken > token)

            // A lock on a lease that does not exist is refused and leaves nothing.
            await #expect(throws: RPCError.self) { try await clients.lock("other", lease: 0x1234abcd, seconds: 5) }
            #expect(try await clients.etcd.keys(prefix: "other/", serializable: false).isEmpty)
        }
    }

    @Test func lockHolderWhoseLeaseExpiresLosesTheLock() async throws {
        try await run { _, clients in
            let short = try await clients.grant(ttl: 2), long = try await clients.grant(ttl: 30)
            _ = try await clients.lock("gate", lease: short)
            // Nobody keeps the short lease alive: it expires and the waiter gets the lock.
            let next = try await clients.lock("gate", lease: long, seconds: 20)
            let nextKey = String(decoding: next.key, as: UTF8.self)
            #expect(nextKey == "gate/" + String(UInt64(bitPattern: long), radix: 16))
            // It was granted only once the expired holder's key was gone.
            #expect(try await clients.etcd.keys(prefix: "gate/", serializable: false) == [nextKey])
        }
    }

    @Test func electionCampaignProclaimObserveResignAndExpiry() async throws {
        try await run { _, clients in
            let a = try await clients.grant(ttl: 30), b = try await clients.grant(ttl: 30)
            let seen = Shared<[String]>([])
            let observer = Task {
                var request = V3electionpb_LeaderRequest()
                request.name = Data("vote".utf8)
                try await clients.election.observe(request, options: EtcdClient.options(seconds: 60)) { response in
                    for try await message in response.messages {
                        let value = String(decoding: message.kv.value, as: UTF8.self)
                        seen.update { $0.append(value) }
                    }
                }
            }
            defer { observer.cancel() }

            let leaderA = try await clients.campaign("vote", lease: a, value: "a")
            #expect(try await clients.leader("vote") == "a")
            try await waitUntil("the observer to see a", seconds: 10) { seen.value == ["a"] }

            let bLeads = Shared(false)
            let candidateB = Task {
                let key = try await clients.campaign("vote", lease: b, value: "b")
                bLeads.update { $0 = true }
                return key
            }
            try await waitUntil("b to queue", seconds: 10) {
                try await clients.etcd.keys(prefix: "vote/", serializable: false).count == 2
            }
            #expect(!bLeads.value)

            try await clients.proclaim(leaderA, "a2")
            #expect(try await clients.leader("vote") == "a2")
            try await waitUntil("the observer to see a2", seconds: 10) { seen.value == ["a", "a2"] }
            // A stale leader key (wrong create revision) cannot proclaim.
            var stale = leaderA
            stale.rev += 1
            await #expect(throws: RPCError.self) { try await clients.proclaim(stale, "forged") }

            var resign = V3electionpb_ResignRequest()
            resign.leader = leaderA
            _ = try await clients.election.resign(resign, options: EtcdClient.options(seconds: 5))
            let leaderB = try await candidateB.value
            #expect(leaderB.rev > leaderA.rev)
            #expect(try await clients.leader("vote") == "b")
            try await waitUntil("the observer to see b", seconds: 10) { seen.value == ["a", "a2", "b"] }

            // A leader whose lease expires stops leading: the next candidate leads.
            let short = try await clients.grant(ttl: 2)
            let candidateC = Task { try await clients.campaign("vote", lease: short, value: "c") }
            try await waitUntil("c to queue", seconds: 10) {
                try await clients.etcd.keys(prefix: "vote/", serializable: false).count == 2
            }
            try await clients.revoke(b)
            _ = try await candidateC.value
            try await waitUntil("the observer to see c", seconds: 10) { seen.value == ["a", "a2", "b", "c"] }
            try await waitUntil("c's lease to expire and leave no leader", seconds: 15) {
                do {
                    _ = try await clients.leader("vote")
                    return false
                } catch let error as RPCError {
                    return error.message.contains("election: no leader")
                }
            }
        }
    }
}
}
