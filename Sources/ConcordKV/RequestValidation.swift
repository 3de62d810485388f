/// etcd's stateless request checks (its gRPC layer's `checkPutRequest`,
/// `checkTxnRequest`, `checkIntervals` and friends): what can be refused
/// without looking at the store.
enum RequestValidation {
    static func check(_ command: KVCommand, limits: KVLimits) throws(KVError) {
        switch command {
        case .put(let request): try check(request)
        case .deleteRange(let request): try check(request)
        case .txn(let request): try check(request, limits: limits)
        case .compact: break
        }
    }

    static func check(_ request: RangeRequest) throws(KVError) {
        if request.key.isEmpty { throw .emptyKey }
    }

    static func check(_ request: PutRequest) throws(KVError) {
        if request.key.isEmpty { throw .emptyKey }
        if request.ignoreValue && !request.value.isEmpty { throw .valueProvided }
        if request.ignoreLease && request.lease != 0 { throw .leaseProvided }
    }

    static func check(_ request: DeleteRangeRequest) throws(KVError) {
        if request.key.isEmpty { throw .emptyKey }
    }

    /// Checks a transaction: sizes and keys, then overlapping writes.
    static func check(_ request: TxnRequest, limits: KVLimits) throws(KVError) {
        try checkShape(request, operationsMax: limits.txnOperationsMax, depth: 1)
        _ = try writes(of: request.success)
        _ = try writes(of: request.failure)
    }

    /// etcd's `checkTxnRequest`: a nested transaction may use only what its
    /// parent left of the operation budget. Concord also bounds nesting by
    /// `KVLimits.txnNestingDepthMax` (refused as too many operations).
    private static func checkShape(_ request: TxnRequest, operationsMax: Int, depth: Int) throws(KVError) {
        guard depth <= KVLimits.txnNestingDepthMax else { throw .tooManyOperations }
        let operations = max(request.compare.count, request.success.count, request.failure.count)
        if operations > operationsMax { throw .tooManyOperations }
        for compare in request.compare where compare.key.isEmpty {
            throw .emptyKey
        }
        for operation in request.success + request.failure {
            switch operation {
            case .range(let range): try check(range)
            case .put(let put): try check(put)
            case .deleteRange(let delete): try check(delete)
            case .txn(let nested): try checkShape(nested, operationsMax: operationsMax - operations, depth: depth + 1)
            }
        }
    }

    /// The keys a list of operations puts and the ranges it deletes,
    /// nested transactions included; throws `.duplicateKey` where etcd's
    /// `checkIntervals` does: a key put twice (except once in each branch
    /// of one nested transaction), or put where a delete of this level, or
    /// of a nested transaction before it, reaches.
    private static func writes(of operations: [RequestOp]) throws(KVError) -> (puts: Set<[UInt8]>, deletes: [KeyInterval]) {
        var deletes: [KeyInterval] = []
        for case .deleteRange(let delete) in operations {
            deletes.append(KeyInterval(key: delete.key, rangeEnd: delete.rangeEnd))
        }
        var puts: Set<[UInt8]> = []
        for case .txn(let nested) in operations {
            let then = try writes(of: nested.success)
            let otherwise = try writes(of: nested.failure)
            for key in then.puts {
                if puts.contains(key) || deletes.contains(where: { $0.contains(key) }) { throw .duplicateKey }
                puts.insert(key)
            }
            for key in otherwise.puts {
                if puts.contains(key) && !then.puts.contains(key) { throw .duplicateKey }
                if deletes.contains(where: { $0.contains(key) }) { throw .duplicateKey }
                puts.insert(key)
            }
            deletes += then.deletes
            deletes += otherwise.deletes
        }
        for case .put(let put) in operations {
            if puts.contains(put.key) || deletes.contains(where: { $0.contains(put.key) }) { throw .duplicateKey }
            puts.insert(put.key)
        }
        return (puts, deletes)
    }
}

/// The keys a delete reaches, chosen as requests choose them.
struct KeyInterval: Sendable, Hashable {
    var key: [UInt8]
    var rangeEnd: [UInt8]

    func contains(_ candidate: [UInt8]) -> Bool {
        if rangeEnd.isEmpty { return candidate == key }
        if candidate.lexicographicallyPrecedes(key) { return false }
        return rangeEnd == [0] || candidate.lexicographicallyPrecedes(rangeEnd)
    }
}
