/// Which branch a transaction takes, and, for each nested transaction of
/// that branch in order, which branch it takes: etcd's `txnPath`, decided
/// entirely on the store as it was before the transaction, so nested
/// compares do not see the transaction's own writes.
struct TxnPath {
    var succeeded: Bool
    var nested: [TxnPath]

    init(_ request: TxnRequest, store: MVCCStore) {
        succeeded = request.compare.allSatisfy { store.holds($0) }
        nested = []
        for case .txn(let inner) in succeeded ? request.success : request.failure {
            nested.append(TxnPath(inner, store: store))
        }
    }
}

extension MVCCStore {
    /// Applies a transaction: stateless checks, then the path, then the
    /// state-dependent checks of the operations on that path, and only then
    /// the operations, so a refused transaction changes nothing.
    mutating func txn(_ request: TxnRequest) throws(KVError) -> TxnResponse {
        try RequestValidation.check(request, limits: limits)
        let path = TxnPath(request, store: self)
        if !request.isReadOnly {
            try checkPuts(request, path: path)
        }
        try checkRanges(request, path: path, revision: currentRevision)
        if request.isReadOnly {
            return readTxn(request, path: path, revision: currentRevision)
        }
        var write = WriteBatch(beginRevision: currentRevision)
        var response = writeTxn(request, path: path, &write)
        finish(write)
        response.header = ResponseHeader(revision: write.readRevision)
        return response
    }

    /// etcd's `applyCompare`: a compare on a range holds when it holds for
    /// every key present; with no key present, a value compare fails and
    /// the others compare against zero.
    func holds(_ compare: Compare) -> Bool {
        var pairs: [KeyValue] = []
        for position in index.positions(key: compare.key, rangeEnd: compare.rangeEnd) {
            if let pair = index[position].latest { pairs.append(pair) }
        }
        if pairs.isEmpty {
            if case .value = compare.target { return false }
            return Self.compare(KeyValue(key: compare.key, createRevision: 0, modRevision: 0, version: 0, value: []), compare)
        }
        return pairs.allSatisfy { Self.compare($0, compare) }
    }

    private static func compare(_ pair: KeyValue, _ compare: Compare) -> Bool {
        let order: Int
        switch compare.target {
        case .version(let operand): order = three(pair.version, operand)
        case .createRevision(let operand): order = three(pair.createRevision, operand)
        case .modRevision(let operand): order = three(pair.modRevision, operand)
        case .lease(let operand): order = three(pair.lease, operand)
        case .value(let operand):
            order = pair.value == operand ? 0 : (pair.value.lexicographicallyPrecedes(operand) ? -1 : 1)
        }
        switch compare.result {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .greater: return order > 0
        case .less: return order < 0
        }
    }

    private static func three(_ left: Int64, _ right: Int64) -> Int {
        left < right ? -1 : (left > right ? 1 : 0)
    }

    /// etcd's `checkRequestPut` over the path: ignore flags need the key,
    /// leases must exist.
    private func checkPuts(_ request: TxnRequest, path: TxnPath) throws(KVError) {
        var nested = path.nested.makeIterator()
        for operation in path.succeeded ? request.success : request.failure {
            switch operation {
            case .put(let put): try checkApplicable(put)
            case .txn(let inner): try checkPuts(inner, path: nested.next()!)
            case .range, .deleteRange: break
            }
        }
    }

    /// etcd's `checkRequestRange` over the path: every read's revision is
    /// neither compacted nor in the future of the transaction's start.
    func checkRanges(_ request: TxnRequest, path: TxnPath, revision: Int64) throws(KVError) {
        var nested = path.nested.makeIterator()
        for operation in path.succeeded ? request.success : request.failure {
            switch operation {
            case .range(let range):
                if range.revision > revision { throw .futureRevision }
                if range.revision > 0 && range.revision < compactedRevision { throw .compacted }
            case .txn(let inner): try checkRanges(inner, path: nested.next()!, revision: revision)
            case .put, .deleteRange: break
            }
        }
    }

    /// Performs a read-only transaction's path.
    func readTxn(_ request: TxnRequest, path: TxnPath, revision: Int64) -> TxnResponse {
        var nested = path.nested.makeIterator()
        var responses: [ResponseOp] = []
        for operation in path.succeeded ? request.success : request.failure {
            switch operation {
            case .range(let range): responses.append(.range(checkedRead(range, currentRevision: revision)))
            case .txn(let inner):
                var response = readTxn(inner, path: nested.next()!, revision: revision)
                response.header = ResponseHeader(revision: 0)
                responses.append(.txn(response))
            case .put, .deleteRange: preconditionFailure("a read-only transaction holds a write")
            }
        }
        return TxnResponse(header: ResponseHeader(revision: revision), succeeded: path.succeeded, responses: responses)
    }

    /// Performs a write transaction's path, whose checks passed.
    private mutating func writeTxn(_ request: TxnRequest, path: TxnPath, _ write: inout WriteBatch) -> TxnResponse {
        var nested = path.nested.makeIterator()
        var responses: [ResponseOp] = []
        for operation in path.succeeded ? request.success : request.failure {
            switch operation {
            case .range(let range):
                responses.append(.range(checkedRead(range, currentRevision: write.readRevision)))
            case .put(let put):
                responses.append(.put(self.put(put, &write)))
            case .deleteRange(let delete):
                responses.append(.deleteRange(deleteRange(delete, &write)))
            case .txn(let inner):
                // As in etcd, only the outermost response's header carries
                // a revision; a nested transaction's header is left at 0.
                var response = writeTxn(inner, path: nested.next()!, &write)
                response.header = ResponseHeader(revision: 0)
                responses.append(.txn(response))
            }
        }
        return TxnResponse(header: ResponseHeader(revision: write.readRevision), succeeded: path.succeeded, responses: responses)
    }

    /// A read inside a transaction, whose revision was checked.
    private func checkedRead(_ range: RangeRequest, currentRevision: Int64) -> RangeResponse {
        do {
            return try read(range, currentRevision: currentRevision)
        } catch {
            preconditionFailure("a checked read inside a transaction failed: \(error)")
        }
    }
}
