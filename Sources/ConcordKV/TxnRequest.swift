/// One operation of a transaction (etcd's `RequestOp`).
public enum RequestOp: Sendable, Hashable {
    case range(RangeRequest)
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    /// A nested transaction.
    case txn(TxnRequest)
}

/// The result of one operation of a transaction (etcd's `ResponseOp`).
public enum ResponseOp: Sendable, Hashable {
    case range(RangeResponse)
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(TxnResponse)
}

/// etcd's `TxnRequest`: if every compare holds, perform `success`, otherwise
/// `failure`, all at one revision.
///
/// A transaction that writes creates exactly one revision (its writes get
/// sub-revisions within it); a read-only one creates none. A transaction
/// that fails validation applies nothing.
public struct TxnRequest: Sendable, Hashable {
    public var compare: [Compare]
    public var success: [RequestOp]
    public var failure: [RequestOp]

    /// Creates a transaction.
    public init(compare: [Compare] = [], success: [RequestOp] = [], failure: [RequestOp] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }

    /// True when neither branch (nor any nested transaction) holds a put or
    /// a delete, as etcd decides it: such a transaction may be served
    /// without going through the log.
    public var isReadOnly: Bool {
        func readOnly(_ operation: RequestOp) -> Bool {
            if case .range = operation { return true }
            return false
        }
        return success.allSatisfy(readOnly) && failure.allSatisfy(readOnly)
    }
}

/// etcd's `TxnResponse`.
public struct TxnResponse: Sendable, Hashable {
    public var header: ResponseHeader
    /// True when every compare held and `success` was performed.
    public var succeeded: Bool
    /// One response per operation of the branch performed, in order.
    public var responses: [ResponseOp]

    /// Creates a transaction response.
    public init(header: ResponseHeader, succeeded: Bool, responses: [ResponseOp] = []) {
        self.header = header
        self.succeeded = succeeded
        self.responses = responses
    }
}
