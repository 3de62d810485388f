/// One operation of a transaction (etcd's `RequestOp`).
public enum RequestOp: Sendable, Hashable {
    /// A read.
    case range(RangeRequest)
    /// A put.
    case put(PutRequest)
    /// A delete.
    case deleteRange(DeleteRangeRequest)
    /// A nested transaction.
    case txn(TxnRequest)
}

/// The result of one operation of a transaction (etcd's `ResponseOp`).
public enum ResponseOp: Sendable, Hashable {
    /// The answer to a read.
    case range(RangeResponse)
    /// The answer to a put.
    case put(PutResponse)
    /// The answer to a delete.
    case deleteRange(DeleteRangeResponse)
    /// The answer to a nested transaction.
    case txn(TxnResponse)
}

/// etcd's `TxnRequest`: if every compare holds, perform `success`, otherwise
/// `failure`, all at one revision.
///
/// A transaction that writes creates exactly one revision (its writes get
/// sub-revisions within it); a read-only one creates none. A transaction
/// that fails validation applies nothing.
public struct TxnRequest: Sendable, Hashable {
    /// The conditions, all of which must hold for `success` to run.
    public var compare: [Compare]
    /// The operations performed when every compare holds.
    public var success: [RequestOp]
    /// The operations performed otherwise.
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
    /// The store's revision when the request was served.
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
