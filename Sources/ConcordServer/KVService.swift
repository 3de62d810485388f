import ConcordEtcdAPI
import ConcordKV
import GRPCCore

/// etcd's v3 KV service over a `ConcordNode`: translates each call, runs it
/// on the node, translates the answer back, and records the call's status
/// and latency. Every error leaves as a gRPC status with etcd's code and
/// message; nothing a client sends can crash the process.
struct KVService: Etcdserverpb_KV.SimpleServiceProtocol {
    let node: ConcordNode

    func range(request: Etcdserverpb_RangeRequest, context: ServerContext) async throws -> Etcdserverpb_RangeResponse {
        try await observeRequest(node, "Range") {
            let (response, term) = try await node.range(try EtcdTranslation.range(request))
            return EtcdTranslation.range(response, fields(term))
        }
    }

    func put(request: Etcdserverpb_PutRequest, context: ServerContext) async throws -> Etcdserverpb_PutResponse {
        try await observeRequest(node, "Put") {
            let (result, term) = try await node.write(.put(EtcdTranslation.put(request)))
            guard case .put(let response) = result else { throw EtcdTranslation.unexpected(result) }
            return EtcdTranslation.put(response, fields(term))
        }
    }

    func deleteRange(request: Etcdserverpb_DeleteRangeRequest, context: ServerContext) async throws -> Etcdserverpb_DeleteRangeResponse {
        try await observeRequest(node, "DeleteRange") {
            let (result, term) = try await node.write(.deleteRange(EtcdTranslation.deleteRange(request)))
            guard case .deleteRange(let response) = result else { throw EtcdTranslation.unexpected(result) }
            return EtcdTranslation.deleteRange(response, fields(term))
        }
    }

    func txn(request: Etcdserverpb_TxnRequest, context: ServerContext) async throws -> Etcdserverpb_TxnResponse {
        try await observeRequest(node, "Txn") {
            let txn = try EtcdTranslation.txn(request)
            if txn.isReadOnly {
                let (response, term) = try await node.readOnlyTxn(txn, serializable: Self.allSerializable(txn))
                return EtcdTranslation.txn(response, fields(term))
            }
            let (result, term) = try await node.write(.txn(txn))
            guard case .txn(let response) = result else { throw EtcdTranslation.unexpected(result) }
            return EtcdTranslation.txn(response, fields(term))
        }
    }

    func compact(request: Etcdserverpb_CompactionRequest, context: ServerContext) async throws -> Etcdserverpb_CompactionResponse {
        try await observeRequest(node, "Compact") {
            let (result, term) = try await node.write(.compact(EtcdTranslation.compaction(request)))
            guard case .compact(let response) = result else { throw EtcdTranslation.unexpected(result) }
            return EtcdTranslation.compaction(response, fields(term))
        }
    }

    /// As in etcd, a read-only transaction is served locally only when every
    /// range in it asks to be serializable.
    static func allSerializable(_ txn: TxnRequest) -> Bool {
        let operations = txn.success + txn.failure
        return !operations.isEmpty
            && operations.allSatisfy {
                if case .range(let range) = $0 { return range.serializable }
                return false
            }
    }

    private func fields(_ term: UInt64) -> EtcdTranslation.HeaderFields {
        EtcdTranslation.HeaderFields(node, term: term)
    }
}
