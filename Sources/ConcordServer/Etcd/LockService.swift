import ConcordEtcdAPI
import ConcordKV
import Foundation
import GRPCCore

/// etcd's v3 Lock service over a `ConcordNode`, as etcd's v3lock server
/// does it with its concurrency mutex: `Lock(name, lease)` creates the key
/// `name/<lease ID in hex>` attached to the lease and returns once that key
/// has the lowest create revision under `name/`; the key's create revision
/// is the holder's fencing token. The lock is released by `Unlock(key)` or
/// when the lease expires or is revoked.
struct LockService: V3lockpb_Lock.SimpleServiceProtocol {
    let node: ConcordNode

    private func header(revision: Int64, term: UInt64) -> Etcdserverpb_ResponseHeader {
        EtcdTranslation.header(node, revision: revision, term: term)
    }

    func lock(request: V3lockpb_LockRequest, context: ServerContext) async throws -> V3lockpb_LockResponse {
        try await observeRequest(node, "Lock") {
            try await ConcurrencyKeys.untilRPCEnds(context) { try await acquire(request) }
        }
    }

    private func acquire(_ request: V3lockpb_LockRequest) async throws -> V3lockpb_LockResponse {
        guard !request.name.isEmpty else { throw RPCError(code: .invalidArgument, message: "etcdserver: lock name is empty") }
        let prefix = Array(request.name) + Array("/".utf8)
        let claim = try await ConcurrencyKeys.claim(node: node, prefix: prefix, lease: request.lease, value: [])
        do {
            try await ConcurrencyKeys.waitForPredecessors(node: node, prefix: prefix, createRevision: claim.createRevision)
        } catch {
            // The caller gave up (or the node failed): leave no key
            // queued behind, as etcd's mutex does.
            _ = try? await ConcurrencyKeys.deleteIfOwned(node: node, key: claim.key, createRevision: claim.createRevision)
            throw error
        }
        // The key may have gone with its lease while waiting.
        let (held, term) = try await node.range(RangeRequest(key: claim.key))
        guard let pair = held.kvs.first, pair.createRevision == claim.createRevision else {
            throw RPCError(code: .notFound, message: "etcdserver: requested lease not found")
        }
        var response = V3lockpb_LockResponse()
        response.header = header(revision: held.header.revision, term: term)
        response.key = Data(claim.key)
        return response
    }

    func unlock(request: V3lockpb_UnlockRequest, context: ServerContext) async throws -> V3lockpb_UnlockResponse {
        try await observeRequest(node, "Unlock") {
            guard !request.key.isEmpty else { throw RPCError(code: .invalidArgument, message: "etcdserver: key is not provided") }
            let (result, term) = try await node.write(.deleteRange(DeleteRangeRequest(key: Array(request.key))))
            guard case .deleteRange(let deleted) = result else { throw EtcdTranslation.unexpected(result) }
            var response = V3lockpb_UnlockResponse()
            response.header = header(revision: deleted.header.revision, term: term)
            return response
        }
    }
}
