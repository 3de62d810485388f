/// One change seen by a watcher, as etcd's `mvccpb.Event` carries it.
public struct WatchEvent: Sendable, Hashable {
    /// etcd's `Event.EventType`.
    public enum Kind: Sendable, Hashable {
        /// A put: `kv` is the key after it.
        case put
        /// A delete: `kv` holds only the key and the delete's revision in
        /// `modRevision`, as etcd's tombstone event does.
        case delete
    }

    /// Put or delete.
    public var kind: Kind
    /// The key after the change (for a delete: key and `modRevision` only).
    public var kv: KeyValue
    /// The key before the change, when the watcher asked for it and it
    /// existed.
    public var prevKV: KeyValue?
    /// The change's position inside its revision (etcd's sub-revision);
    /// events of one revision are ordered by it.
    public var subRevision: Int64

    /// The main revision the change belongs to.
    public var revision: Int64 { kv.modRevision }

    /// Creates an event.
    public init(kind: Kind, kv: KeyValue, prevKV: KeyValue? = nil, subRevision: Int64 = 0) {
        self.kind = kind
        self.kv = kv
        self.prevKV = prevKV
        self.subRevision = subRevision
    }

    /// An estimate of the event's size on the wire, used to fragment
    /// responses: keys and values plus a fixed overhead for the integers.
    public var estimatedBytes: Int {
        Self.fixedOverheadBytes + kv.key.count + kv.value.count
            + (prevKV.map { Self.fixedOverheadBytes + $0.key.count + $0.value.count } ?? 0)
    }

    /// The bytes counted for an event's or key-value's integer fields.
    public static let fixedOverheadBytes = 48
}
