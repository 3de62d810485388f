/// etcd's `RangeRequest`: read one key, a range of keys, or every key from
/// one on, at the current revision or a past one.
///
/// The keys read are chosen by `key` and `rangeEnd` as etcd chooses them:
/// - `rangeEnd` empty: the single key `key`;
/// - `rangeEnd == [0]`: every key greater than or equal to `key` (so
///   `key == [0]`, `rangeEnd == [0]` is every key);
/// - otherwise the half-open interval `[key, rangeEnd)` (a prefix `p` is
///   the interval from `p` to `p` with its last byte below 0xff incremented).
public struct RangeRequest: Sendable, Hashable {
    /// How the results are ordered.
    public enum SortOrder: Int, Sendable, Hashable, CaseIterable {
        /// Key order (the store's natural order), unless `sortTarget` is not
        /// `.key`, in which case etcd sorts ascending.
        case none = 0
        /// Lowest first.
        case ascend = 1
        /// Highest first.
        case descend = 2
    }

    /// What the results are ordered by.
    public enum SortTarget: Int, Sendable, Hashable, CaseIterable {
        /// The key's bytes.
        case key = 0
        /// The key's version.
        case version = 1
        /// The key's create revision.
        case create = 2
        /// The key's mod revision.
        case mod = 3
        /// The value's bytes.
        case value = 4
    }

    /// The first key of the range (never empty).
    public var key: [UInt8]
    /// The end of the range; see the type's documentation.
    public var rangeEnd: [UInt8]
    /// The most key-value pairs to return; 0 means no limit.
    public var limit: Int64
    /// The revision to read at; 0 (or negative) means the current one.
    public var revision: Int64
    /// The order of the results.
    public var sortOrder: SortOrder
    /// What the results are ordered by.
    public var sortTarget: SortTarget
    /// True to serve the read locally, without a linearizability guarantee.
    /// The store ignores it; the server decides how to read.
    public var serializable: Bool
    /// Return keys without values.
    public var keysOnly: Bool
    /// Return only the count.
    public var countOnly: Bool
    /// Keep only pairs whose mod revision is at least this (0: no bound).
    public var minModRevision: Int64
    /// Keep only pairs whose mod revision is at most this (0: no bound).
    public var maxModRevision: Int64
    /// Keep only pairs whose create revision is at least this (0: no bound).
    public var minCreateRevision: Int64
    /// Keep only pairs whose create revision is at most this (0: no bound).
    public var maxCreateRevision: Int64

    /// Creates a range request; every option defaults as in etcd.
    public init(
        key: [UInt8], rangeEnd: [UInt8] = [], limit: Int64 = 0, revision: Int64 = 0,
        sortOrder: SortOrder = .none, sortTarget: SortTarget = .key, serializable: Bool = false,
        keysOnly: Bool = false, countOnly: Bool = false,
        minModRevision: Int64 = 0, maxModRevision: Int64 = 0,
        minCreateRevision: Int64 = 0, maxCreateRevision: Int64 = 0
    ) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.limit = limit
        self.revision = revision
        self.sortOrder = sortOrder
        self.sortTarget = sortTarget
        self.serializable = serializable
        self.keysOnly = keysOnly
        self.countOnly = countOnly
        self.minModRevision = minModRevision
        self.maxModRevision = maxModRevision
        self.minCreateRevision = minCreateRevision
        self.maxCreateRevision = maxCreateRevision
    }
}

/// etcd's `RangeResponse`.
public struct RangeResponse: Sendable, Hashable {
    /// The store's revision when the request was served.
    public var header: ResponseHeader
    /// The pairs read, at most `limit` of them (none for a count-only read).
    public var kvs: [KeyValue]
    /// True when `limit` cut the result short.
    public var more: Bool
    /// How many keys the range holds at the revision read, before `limit`
    /// and (as in etcd 3.4) before the min/max revision filters.
    public var count: Int64

    /// Creates a range response.
    public init(header: ResponseHeader, kvs: [KeyValue] = [], more: Bool = false, count: Int64 = 0) {
        self.header = header
        self.kvs = kvs
        self.more = more
        self.count = count
    }
}
