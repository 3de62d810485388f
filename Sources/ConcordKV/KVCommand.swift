/// What goes through the Raft log to change the store: every write of
/// etcd's KV service. Reads do not go through the log (the server serves
/// them with `MVCCStore.range(_:)` after a ReadIndex, or locally when
/// serializable).
///
/// `encoded()` and `init(decoding:)` give the command's log entry bytes;
/// see `KVCommand+Encoding.swift` and docs/kv.md for the format. Tags 5 and
/// up are reserved for lease commands.
public enum KVCommand: Sendable, Hashable {
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
    case compact(CompactionRequest)
}

/// What applying a `KVCommand` returned.
public enum KVResult: Sendable, Hashable {
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(TxnResponse)
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
