import ConcordEtcdAPI
import Foundation
import GRPCCore

/// A lease's state on the server.
public struct LeaseInfo: Sendable {
    /// The lease ID.
    public var id: Int64
    /// Seconds left before expiry (-1 when the lease does not exist).
    public var ttlSeconds: Int64
    /// The TTL the lease was granted with.
    public var grantedTTLSeconds: Int64
    /// The keys attached to the lease, when asked for.
    public var keys: [String]
}

extension ConcordClient {
    /// Grants a lease that expires `ttlSeconds` after its last keep-alive.
    /// - Returns: the lease ID and the TTL the server granted (etcd raises
    ///   TTLs below its minimum).
    public func grantLease(ttlSeconds: Int64, id: Int64 = 0) async throws(ConcordClientError) -> (id: Int64, ttlSeconds: Int64) {
        guard ttlSeconds > 0 else { throw .invalidArgument("lease TTL must be positive, got \(ttlSeconds)") }
        var request = Etcdserverpb_LeaseGrantRequest()
        request.ttl = ttlSeconds
        request.id = id
        let callOptions = self.callOptions
        let response = try await withFailover { try await $0.lease.leaseGrant(request, options: callOptions) }
        if !response.error.isEmpty { throw .rpc(code: .unknown, message: response.error) }
        return (response.id, response.ttl)
    }

    /// Revokes a lease; its keys are deleted.
    public func revokeLease(_ id: Int64) async throws(ConcordClientError) {
        var request = Etcdserverpb_LeaseRevokeRequest()
        request.id = id
        let callOptions = self.callOptions
        _ = try await withFailover { try await $0.lease.leaseRevoke(request, options: callOptions) }
    }

    /// A lease's remaining time and, when `keys` is true, its keys.
    public func leaseTimeToLive(_ id: Int64, keys: Bool = false) async throws(ConcordClientError) -> LeaseInfo {
        var request = Etcdserverpb_LeaseTimeToLiveRequest()
        request.id = id
        request.keys = keys
        let callOptions = self.callOptions
        let response = try await withFailover { try await $0.lease.leaseTimeToLive(request, options: callOptions) }
        return LeaseInfo(
            id: response.id, ttlSeconds: response.ttl, grantedTTLSeconds: response.grantedTtl,
            keys: response.keys.map { String(decoding: $0, as: UTF8.self) })
    }

    /// Renews a lease once.
    /// - Returns: the TTL now left, in seconds.
    /// - Throws: ``ConcordClientError/leaseExpired(id:)`` when the lease is gone.
    @discardableResult
    public func keepAliveOnce(_ id: Int64) async throws(ConcordClientError) -> Int64 {
        var request = Etcdserverpb_LeaseKeepAliveRequest()
        request.id = id
        let sent = request
        let callOptions = self.callOptions
        let response: Etcdserverpb_LeaseKeepAliveResponse = try await withFailover { connection in
            try await connection.lease.leaseKeepAlive(options: callOptions) { writer in
                try await writer.write(sent)
                // Hold the request side open until the answer arrives.
                try await Task.sleep(for: .seconds(3600))
            } onResponse: { response in
                for try await message in response.messages { return message }
                throw RPCError(code: .unavailable, message: "keep-alive stream ended without an answer")
            }
        }
        if response.ttl <= 0 { throw .leaseExpired(id: id) }
        return response.ttl
    }
}
