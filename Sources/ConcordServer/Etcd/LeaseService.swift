import ConcordEtcdAPI
import ConcordKV
import Foundation
import GRPCCore

/// etcd's v3 Lease service over a `ConcordNode`.
///
/// Grants and revokes go through the Raft log. Keep-alives and time-to-live
/// queries are answered by the leader from its in-memory expiry, as in
/// etcd; a follower forwards each one to the leader over the peer transport
/// and relays the answer (see `ConcordNode.renewLease(id:)`).
struct LeaseService: Etcdserverpb_Lease.SimpleServiceProtocol {
    let node: ConcordNode

    private func header(revision: Int64, term: UInt64) -> Etcdserverpb_ResponseHeader {
        EtcdTranslation.header(node, revision: revision, term: term)
    }

    func leaseGrant(request: Etcdserverpb_LeaseGrantRequest, context: ServerContext) async throws -> Etcdserverpb_LeaseGrantResponse {
        try await observeRequest(node, "LeaseGrant") {
            let (id, ttl, term) = try await node.grantLease(id: request.id, ttlSeconds: request.ttl)
            var response = Etcdserverpb_LeaseGrantResponse()
            response.header = header(revision: await node.revision, term: term)
            response.id = id
            response.ttl = ttl
            return response
        }
    }

    func leaseRevoke(request: Etcdserverpb_LeaseRevokeRequest, context: ServerContext) async throws -> Etcdserverpb_LeaseRevokeResponse {
        try await observeRequest(node, "LeaseRevoke") {
            let (revision, term) = try await node.revokeLease(id: request.id)
            var response = Etcdserverpb_LeaseRevokeResponse()
            response.header = header(revision: revision, term: term)
            return response
        }
    }

    /// One answer per request; an unknown or expired lease gets TTL 0, as
    /// in etcd. On a follower each request is forwarded to the leader; a
    /// leader that cannot be reached in time ends the stream with etcd's
    /// error ("request timed out", "leader changed" or "no leader").
    func leaseKeepAlive(
        request: RPCAsyncSequence<Etcdserverpb_LeaseKeepAliveRequest, any Error>,
        response: RPCWriter<Etcdserverpb_LeaseKeepAliveResponse>,
        context: ServerContext
    ) async throws {
        try await observeRequest(node, "LeaseKeepAlive") {
            for try await keepAlive in request {
                var answer = Etcdserverpb_LeaseKeepAliveResponse()
                answer.id = keepAlive.id
                do {
                    let (ttl, revision, term) = try await node.renewLease(id: keepAlive.id)
                    answer.ttl = ttl
                    answer.header = header(revision: revision, term: term)
                } catch LeaseError.leaseNotFound {
                    answer.ttl = 0
                    answer.header = header(revision: await node.revision, term: await node.term)
                }
                try await response.write(answer)
            }
        }
    }

    /// An unknown lease gets TTL -1, as in etcd.
    func leaseTimeToLive(
        request: Etcdserverpb_LeaseTimeToLiveRequest, context: ServerContext
    ) async throws -> Etcdserverpb_LeaseTimeToLiveResponse {
        try await observeRequest(node, "LeaseTimeToLive") {
            var response = Etcdserverpb_LeaseTimeToLiveResponse()
            response.id = request.id
            do {
                let (status, revision, term) = try await node.leaseTimeToLive(id: request.id, keys: request.keys)
                response.header = header(revision: revision, term: term)
                response.ttl = status.ttlSeconds
                response.grantedTtl = status.grantedTTLSeconds
                response.keys = status.keys.map { Data($0) }
            } catch LeaseError.leaseNotFound {
                response.header = header(revision: await node.revision, term: await node.term)
                response.ttl = -1
            }
            return response
        }
    }

    func leaseLeases(request: Etcdserverpb_LeaseLeasesRequest, context: ServerContext) async throws -> Etcdserverpb_LeaseLeasesResponse {
        try await observeRequest(node, "LeaseLeases") {
            let (ids, revision, term) = try await node.leaseIDs()
            var response = Etcdserverpb_LeaseLeasesResponse()
            response.header = header(revision: revision, term: term)
            response.leases = ids.map { id in
                var status = Etcdserverpb_LeaseStatus()
                status.id = id
                return status
            }
            return response
        }
    }
}
