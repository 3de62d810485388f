import ConcordEtcdAPI
import ConcordKV
import GRPCCore
import SwiftProtobuf

/// etcd's v3 KV service over a `ConcordNode`: translates each call, runs it
/// on the node, translates the answer back, and records the call's status
/// and latency. Every error leaves as a gRPC status with etcd's code and
/// message; nothing a client sends can crash the process.
struct KVService: Etcdserverpb_KV.SimpleServiceProtocol {
    let node: ConcordNode

    func range(request: Etcdserverpb_RangeRequest, context: ServerContext) async throws -> Etcdserverpb_RangeResponse {
        try await range(request)
    }

    func put(request: Etcdserverpb_PutRequest, context: ServerContext) async throws -> Etcdserverpb_PutResponse {
        try await put(request)
    }

    func deleteRange(request: Etcdserverpb_DeleteRangeRequest, context: ServerContext) async throws -> Etcdserverpb_DeleteRangeResponse {
        try await deleteRange(request)
    }

    func txn(request: Etcdserverpb_TxnRequest, context: ServerContext) async throws -> Etcdserverpb_TxnResponse {
        try await txn(request)
    }

    func compact(request: Etcdserverpb_CompactionRequest, context: ServerContext) async throws -> Etcdserverpb_CompactionResponse {
        try await compact(request)
    }

    /// The service's methods as `DirectUnaryMethod`s, by gRPC path, for
    /// `ConcordServerTransport` to answer on the connection.
    var directMethods: [String: DirectUnaryMethod] {
        [
            Self.path(Etcdserverpb_KV.Method.Range.descriptor): .protobuf(range),
            Self.path(Etcdserverpb_KV.Method.Put.descriptor): .protobuf(put),
            Self.path(Etcdserverpb_KV.Method.DeleteRange.descriptor): .protobuf(deleteRange),
            Self.path(Etcdserverpb_KV.Method.Txn.descriptor): .protobuf(txn),
            Self.path(Etcdserverpb_KV.Method.Compact.descriptor): .protobuf(compact),
        ]
    }

    private static func path(_ method: MethodDescriptor) -> String { "/" + method.fullyQualifiedMethod }

    @Sendable func range(_ request: Etcdserverpb_RangeRequest) async throws -> Etcdserverpb_RangeResponse {
        try await observeRequest(node, "Range") {
            let (response, term) = try await node.range(try EtcdTranslation.range(request))
            return EtcdTranslation.range(response, fields(term))
        }
    }

    @Sendable func put(_ request: Etcdserverpb_PutRequest) async throws -> Etcdserverpb_PutResponse {
        try await observeRequest(node, "Put") {
            let (result, term) = try await node.write(.put(EtcdTranslation.put(request)))
            guard case .put(let response) = result else { throw EtcdTranslation.unexpected(result) }
            return EtcdTranslation.put(response, fields(term))
        }
    }

    @Sendable func deleteRange(_ request: Etcdserverpb_DeleteRangeRequest) async throws -> Etcdserverpb_DeleteRangeResponse {
        try await observeRequest(node, "DeleteRange") {
            let (result, term) = try await node.write(.deleteRange(EtcdTranslation.deleteRange(request)))
            guard case .deleteRange(let response) = result else { throw EtcdTranslation.unexpected(result) }
            return EtcdTranslation.deleteRange(response, fields(term))
        }
    }

    @Sendable func txn(_ request: Etcdserverpb_TxnRequest) async throws -> Etcdserverpb_TxnResponse {
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

    @Sendable func compact(_ request: Etcdserverpb_CompactionRequest) async throws -> Etcdserverpb_CompactionResponse {
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

extension DirectUnaryMethod {
    /// A method over protobuf messages. A request that does not decode is
    /// refused with `invalidArgument` and reaches no handler.
    static func protobuf<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ body: @escaping @Sendable (Request) async throws -> Response
    ) -> DirectUnaryMethod {
        DirectUnaryMethod { bytes in
            let request: Request
            do {
                request = try Request(serializedBytes: bytes)
            } catch {
                throw RPCError(code: .invalidArgument, message: "cannot decode \(Request.protoMessageName): \(error)")
            }
            return try await body(request).serializedBytes()
        }
    }
}
