/// What goes through the Raft log to change the store: every write of
/// etcd's KV service. Reads do not go through the log (the server serves
/// them with `MVCCStore.range(_:)` after a ReadIndex, or locally when
/// serializable).
///
/// `encoded()` and `init(decoding:)` give the command's log entry bytes;
/// see `KVCommand+Encoding.swift` and docs/kv.md for the format. Tags 5 and
/// up are reserved for lease commands.
public enum KVCommand: Sendable, Hashable {
    /// etcd's `Put`.
    case put(PutRequest)
    /// etcd's `DeleteRange`.
    case deleteRange(DeleteRangeRequest)
    /// etcd's `Txn` (a read-only one may also be served outside the log).
    case txn(TxnRequest)
    /// etcd's `Compact`.
    case compact(CompactionRequest)
}

/// What applying a `KVCommand` returned.
public enum KVResult: Sendable, Hashable {
    /// The answer to a put.
    case put(PutResponse)
    /// The answer to a delete.
    case deleteRange(DeleteRangeResponse)
    /// The answer to a transaction.
    case txn(TxnResponse)
    /// The answer to a compaction.
    case compact(CompactionResponse)

    /// The response header of the result.
    public var header: ResponseHeader {
        switch self {
        case .put(let response): response.header
        case .deleteRange(let response): response.header
        case .txn(let response): response.header
        case .compact(let response): response.header
        }
    }
}
