/// etcd's `DeleteRangeRequest`: delete one key or a range of keys, chosen by
/// `key` and `rangeEnd` exactly as `RangeRequest` chooses them.
public struct DeleteRangeRequest: Sendable, Hashable {
    /// The first key (never empty).
    public var key: [UInt8]
    /// The end of the range: empty for one key, `[0]` for every key from
    /// `key` on, otherwise exclusive.
    public var rangeEnd: [UInt8]
    /// Return the deleted pairs.
    public var prevKV: Bool

    /// Creates a delete request.
    public init(key: [UInt8], rangeEnd: [UInt8] = [], prevKV: Bool = false) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.prevKV = prevKV
    }
}

/// etcd's `DeleteRangeResponse`.
public struct DeleteRangeResponse: Sendable, Hashable {
    /// The store's revision when the request was served.
    public var header: ResponseHeader
    /// How many keys were deleted.
    public var deleted: Int64
    /// The deleted pairs, when asked for, in key order.
    public var prevKVs: [KeyValue]

    /// Creates a delete response.
    public init(header: ResponseHeader, deleted: Int64 = 0, prevKVs: [KeyValue] = []) {
        self.header = header
        self.deleted = deleted
        self.prevKVs = prevKVs
    }
}
