import ConcordEtcdAPI
import Foundation

/// A key and its value at some revision, as etcd's `mvccpb.KeyValue` (named apart from ConcordKV's byte-keyed `KeyValue`: the client speaks in string keys).
public struct StoredKey: Sendable, Hashable {
    /// The key, decoded as UTF-8.
    public var key: String
    /// The value's bytes.
    public var value: [UInt8]
    /// The revision of the key's creation (its last creation after a delete).
    public var createRevision: Int64
    /// The revision of the key's last modification.
    public var modRevision: Int64
    /// How many times the key was written since its creation (1 after create).
    public var version: Int64
    /// The lease the key is attached to, or 0.
    public var lease: Int64

    /// The value decoded as UTF-8.
    public var stringValue: String { String(decoding: value, as: UTF8.self) }

    init(_ kv: Mvccpb_KeyValue) {
        key = String(decoding: kv.key, as: UTF8.self)
        value = Array(kv.value)
        createRevision = kv.createRevision
        modRevision = kv.modRevision
        version = kv.version
        lease = kv.lease
    }
}

/// The answer to a range read.
public struct RangeResult: Sendable {
    /// The store's revision when the read was served.
    public var revision: Int64
    /// The keys found, in the requested order (by key when none was asked).
    public var kvs: [StoredKey]
    /// Whether more keys matched than the limit let through.
    public var more: Bool
    /// How many keys matched in total.
    public var count: Int64

    init(_ response: Etcdserverpb_RangeResponse) {
        revision = response.header.revision
        kvs = response.kvs.map(StoredKey.init)
        more = response.more
        count = response.count
    }
}

/// How a range read is served and what it returns (etcd's `RangeRequest` options).
public struct GetOptions: Sendable {
    /// The order of the results.
    public enum SortOrder: Sendable { case none, ascending, descending }
    /// What the results are sorted by.
    public enum SortTarget: Sendable { case key, version, createRevision, modRevision, value }

    /// At most this many keys (0: no limit).
    public var limit: Int64 = 0
    /// Read at this revision (0: the latest).
    public var revision: Int64 = 0
    /// Sort order; `.none` returns keys in key order.
    public var sortOrder: SortOrder = .none
    /// Sort field.
    public var sortTarget: SortTarget = .key
    /// Serve from the contacted member without a quorum round: faster, may be stale.
    public var serializable = false
    /// Return keys without values.
    public var keysOnly = false
    /// Return only the count.
    public var countOnly = false
    /// Only keys whose mod revision is at least this (0: no bound).
    public var minModRevision: Int64 = 0
    /// Only keys whose mod revision is at most this (0: no bound).
    public var maxModRevision: Int64 = 0
    /// Only keys whose create revision is at least this (0: no bound).
    public var minCreateRevision: Int64 = 0
    /// Only keys whose create revision is at most this (0: no bound).
    public var maxCreateRevision: Int64 = 0

    /// Default options: a linearizable read of the latest revision.
    public init() {}

    func request(_ range: KeyRange) -> Etcdserverpb_RangeRequest {
        var request = Etcdserverpb_RangeRequest()
        request.key = range.keyBytes
        request.rangeEnd = range.rangeEndBytes
        request.limit = limit
        request.revision = revision
        request.sortOrder = switch sortOrder {
        case .none: .none
        case .ascending: .ascend
        case .descending: .descend
        }
        request.sortTarget = switch sortTarget {
        case .key: .key
        case .version: .version
        case .createRevision: .create
        case .modRevision: .mod
        case .value: .value
        }
        request.serializable = serializable
        request.keysOnly = keysOnly
        request.countOnly = countOnly
        request.minModRevision = minModRevision
        request.maxModRevision = maxModRevision
        request.minCreateRevision = minCreateRevision
        request.maxCreateRevision = maxCreateRevision
        return request
    }
}
