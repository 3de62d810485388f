import ConcordKV

/// What a client of the MVCC lab does, in the checker's terms: the Raft
/// key-value lab's operations (a get, a put, a delete, or a compare-and-swap).
typealias MVCCLabOperation = KVCommand.Operation

extension KVCommand.Operation {
    /// The etcd request a real client would send for the operation: a cas
    /// is etcd's usual transaction (compare the value, or that the key is
    /// absent, then put). A get becomes a range (served after a ReadIndex,
    /// not through the log), everything else a command.
    var request: MVCCLabRequest.Body {
        switch self {
        case .get(let key):
            return .range(RangeRequest(key: Array(key.utf8)))
        case .put(let key, let value):
            return .write(.put(PutRequest(key: Array(key.utf8), value: Array(value.utf8))))
        case .delete(let key):
            return .write(.deleteRange(DeleteRangeRequest(key: Array(key.utf8))))
        case .cas(let key, let expected, let value):
            // An absent key has version 0; a present one has this value.
            let condition: Compare =
                expected.map { Compare(key: Array(key.utf8), target: .value(Array($0.utf8)), result: .equal) }
                ?? Compare(key: Array(key.utf8), target: .version(0), result: .equal)
            return .write(.txn(TxnRequest(
                compare: [condition], success: [.put(PutRequest(key: Array(key.utf8), value: Array(value.utf8)))])))
        }
    }
}

/// A client's request to a server of the MVCC lab, in a session (client id
/// and sequence number) so that a retried write takes effect once.
struct MVCCLabRequest: Sendable, Hashable {
    enum Body: Sendable, Hashable {
        /// A read, served after a ReadIndex.
        case range(RangeRequest)
        /// A write, proposed to the Raft log.
        case write(ConcordKV.KVCommand)
    }

    var clientID: UInt64
    var sequence: UInt64
    var body: Body
}

/// What the state machine answered a request.
enum MVCCLabAnswer: Sendable, Hashable, RaftLabResult {
    /// A put or delete took effect, or a transaction ran; `succeeded` is
    /// the transaction's (true for a put or delete).
    case written(succeeded: Bool)
    /// A read found this value (nil: absent).
    case value(String?)
    /// The store refused the request with this error.
    case refused(KVError)
}
