import ConcordServerCore
import ConcordEtcdAPI
import ConcordKV
import Foundation
import GRPCCore

/// Translation between etcd's wire messages (`Etcdserverpb_…`, `Mvccpb_…`)
/// and ConcordKV's values. Requests with values the wire allows but etcd
/// does not (an unknown enum number) are refused with `INVALID_ARGUMENT`.
enum EtcdTranslation {
    // MARK: Requests

    static func range(_ request: Etcdserverpb_RangeRequest) throws(RPCError) -> RangeRequest {
        guard let order = RangeRequest.SortOrder(rawValue: request.sortOrder.rawValue) else {
            throw RPCError(code: .invalidArgument, message: "etcdserver: unknown sort order \(request.sortOrder.rawValue)")
        }
        guard let target = RangeRequest.SortTarget(rawValue: request.sortTarget.rawValue) else {
            throw RPCError(code: .invalidArgument, message: "etcdserver: unknown sort target \(request.sortTarget.rawValue)")
        }
        return RangeRequest(
            key: [UInt8](request.key), rangeEnd: [UInt8](request.rangeEnd), limit: request.limit,
            revision: request.revision, sortOrder: order, sortTarget: target, serializable: request.serializable,
            keysOnly: request.keysOnly, countOnly: request.countOnly,
            minModRevision: request.minModRevision, maxModRevision: request.maxModRevision,
            minCreateRevision: request.minCreateRevision, maxCreateRevision: request.maxCreateRevision)
    }

    static func put(_ request: Etcdserverpb_PutRequest) -> PutRequest {
        PutRequest(
            key: [UInt8](request.key), value: [UInt8](request.value), lease: request.lease, prevKV: request.prevKv,
            ignoreValue: request.ignoreValue, ignoreLease: request.ignoreLease)
    }

    static func deleteRange(_ request: Etcdserverpb_DeleteRangeRequest) -> DeleteRangeRequest {
        DeleteRangeRequest(key: [UInt8](request.key), rangeEnd: [UInt8](request.rangeEnd), prevKV: request.prevKv)
    }

    /// - Parameter depth: The nesting depth so far; deeper than
    ///   `KVLimits.txnNestingDepthMax` is refused before recursing further.
    static func txn(_ request: Etcdserverpb_TxnRequest, depth: Int = 0) throws(RPCError) -> TxnRequest {
        guard depth <= KVLimits.txnNestingDepthMax else {
            throw RPCError(code: .invalidArgument, message: "etcdserver: transactions nested too deeply")
        }
        var compares: [Compare] = []
        for compare in request.compare { compares.append(try self.compare(compare)) }
        var success: [RequestOp] = []
        for operation in request.success { success.append(try self.operation(operation, depth: depth)) }
        var failure: [RequestOp] = []
        for operation in request.failure { failure.append(try self.operation(operation, depth: depth)) }
        return TxnRequest(compare: compares, success: success, failure: failure)
    }

    static func operation(_ operation: Etcdserverpb_RequestOp, depth: Int) throws(RPCError) -> RequestOp {
        switch operation.request {
        case .requestRange(let range): return .range(try self.range(range))
        case .requestPut(let put): return .put(self.put(put))
        case .requestDeleteRange(let delete): return .deleteRange(deleteRange(delete))
        case .requestTxn(let txn): return .txn(try self.txn(txn, depth: depth + 1))
        case nil:
            // etcd refuses an empty operation with "key not found".
            throw rpcError(KVError.keyNotFound)
        }
    }

    static func compare(_ compare: Etcdserverpb_Compare) throws(RPCError) -> Compare {
        guard let result = Compare.Result(rawValue: compare.result.rawValue) else {
            throw RPCError(code: .invalidArgument, message: "etcdserver: unknown compare result \(compare.result.rawValue)")
        }
        let target: Compare.Target
        switch compare.target {
        case .version: target = .version(compare.version)
        case .create: target = .createRevision(compare.createRevision)
        case .mod: target = .modRevision(compare.modRevision)
        case .value: target = .value([UInt8](compare.value))
        case .lease: target = .lease(compare.lease)
        case .UNRECOGNIZED(let number):
            throw RPCError(code: .invalidArgument, message: "etcdserver: unknown compare target \(number)")
        }
        return Compare(key: [UInt8](compare.key), rangeEnd: [UInt8](compare.rangeEnd), target: target, result: result)
    }

    static func compaction(_ request: Etcdserverpb_CompactionRequest) -> CompactionRequest {
        CompactionRequest(revision: request.revision, physical: request.physical)
    }

    // MARK: Responses

    struct HeaderFields {
        var clusterID: UInt64
        var memberID: UInt64
        var term: UInt64

        /// The fields `node` puts in every response, at Raft term `term`.
        init(_ node: ConcordNode, term: UInt64) {
            self.init(clusterID: node.configuration.clusterID, memberID: node.configuration.memberID, term: term)
        }

        init(clusterID: UInt64, memberID: UInt64, term: UInt64) {
            self.clusterID = clusterID
            self.memberID = memberID
            self.term = term
        }

        func header(_ header: ConcordKV.ResponseHeader) -> Etcdserverpb_ResponseHeader {
            var result = Etcdserverpb_ResponseHeader()
            result.clusterID = clusterID
            result.memberID = memberID
            result.revision = header.revision
            result.raftTerm = term
            return result
        }
    }

    /// The header of a response of `node` at `revision` and Raft term `term`.
    static func header(_ node: ConcordNode, revision: Int64, term: UInt64) -> Etcdserverpb_ResponseHeader {
        HeaderFields(node, term: term).header(ResponseHeader(revision: revision))
    }

    /// The error for a state machine result of the wrong kind (a bug, never
    /// the client's doing).
    static func unexpected(_ result: KVResult) -> RPCError {
        RPCError(code: .internalError, message: "etcdserver: unexpected result \(result)")
    }

    static func keyValue(_ pair: KeyValue) -> Mvccpb_KeyValue {
        var result = Mvccpb_KeyValue()
        result.key = Data(pair.key)
        result.createRevision = pair.createRevision
        result.modRevision = pair.modRevision
        result.version = pair.version
        result.value = Data(pair.value)
        result.lease = pair.lease
        return result
    }

    static func range(_ response: RangeResponse, _ fields: HeaderFields) -> Etcdserverpb_RangeResponse {
        var result = Etcdserverpb_RangeResponse()
        result.header = fields.header(response.header)
        result.kvs = response.kvs.map(keyValue)
        result.more = response.more
        result.count = response.count
        return result
    }

    static func put(_ response: PutResponse, _ fields: HeaderFields) -> Etcdserverpb_PutResponse {
        var result = Etcdserverpb_PutResponse()
        result.header = fields.header(response.header)
        if let previous = response.prevKV { result.prevKv = keyValue(previous) }
        return result
    }

    static func deleteRange(_ response: DeleteRangeResponse, _ fields: HeaderFields) -> Etcdserverpb_DeleteRangeResponse {
        var result = Etcdserverpb_DeleteRangeResponse()
        result.header = fields.header(response.header)
        result.deleted = response.deleted
        result.prevKvs = response.prevKVs.map(keyValue)
        return result
    }

    static func txn(_ response: TxnResponse, _ fields: HeaderFields) -> Etcdserverpb_TxnResponse {
        var result = Etcdserverpb_TxnResponse()
        result.header = fields.header(response.header)
        result.succeeded = response.succeeded
        // etcd 3.4 fills cluster, member and term only in the outermost
        // header: a nested response's header holds its revision alone.
        let fields = HeaderFields(clusterID: 0, memberID: 0, term: 0)
        result.responses = response.responses.map { operation in
            var op = Etcdserverpb_ResponseOp()
            switch operation {
            case .range(let range): op.response = .responseRange(self.range(range, fields))
            case .put(let put): op.response = .responsePut(self.put(put, fields))
            case .deleteRange(let delete): op.response = .responseDeleteRange(deleteRange(delete, fields))
            case .txn(let txn): op.response = .responseTxn(self.txn(txn, fields))
            }
            return op
        }
        return result
    }

    static func compaction(_ response: CompactionResponse, _ fields: HeaderFields) -> Etcdserverpb_CompactionResponse {
        var result = Etcdserverpb_CompactionResponse()
        result.header = fields.header(response.header)
        return result
    }

    // MARK: Errors

    /// The gRPC status etcd answers with for a store or server error.
    static func rpcError(_ error: any Error) -> RPCError {
        switch error {
        case let error as RPCError:
            return error
        case let error as KVError:
            return RPCError(code: code(error.grpcStatusCode), message: error.message)
        case let error as ServerError:
            return RPCError(code: code(error.grpcStatusCode), message: error.message)
        case let error as LeaseError:
            return RPCError(code: code(error.grpcStatusCode), message: error.message)
        case let error as AuthError:
            return RPCError(code: code(error.grpcStatusCode), message: error.message)
        default:
            return RPCError(code: .internalError, message: "etcdserver: \(error)")
        }
    }

    static func code(_ number: Int) -> RPCError.Code {
        switch number {
        case 3: .invalidArgument
        case 5: .notFound
        case 7: .permissionDenied
        case 8: .resourceExhausted
        case 9: .failedPrecondition
        case 11: .outOfRange
        case 14: .unavailable
        case 16: .unauthenticated
        default: .unknown
        }
    }
}
