import ConcordFoundation

/// One change to a member's durable state, in the order the member made it.
///
/// A server appends these to its write-ahead log; replaying them in order
/// over the last snapshot gives the ``StoredState`` to restart from. Every
/// record replaces what it names, so replaying one twice is harmless.
public enum StorageRecord: Hashable, Sendable, CustomStringConvertible {
    /// The member's copy of `key` is now this.
    case object(KeyedObject)
    /// The member no longer holds `key` (handed over, or its tombstone collected).
    case objectRemoved(ByteString)
    /// The member holds this copy of `key` as a hint for another member.
    case hint(for: MemberID, KeyedObject)
    /// The hint of `key` for that member is gone (handed over).
    case hintRemoved(for: MemberID, key: ByteString)
    /// The pending causal writes of `key` are now these (empty: none).
    case pendingWrites(key: ByteString, [PendingWrite])
    /// The member's actor epoch is now this (see ``Actor``).
    case actorEpoch(UInt64)

    public var description: String {
        switch self {
        case .object(let keyed): "object \(keyed.key) \(DynamoMessage.brief(keyed.object))"
        case .objectRemoved(let key): "object removed \(key)"
        case .hint(let member, let keyed): "hint for \(member) \(keyed.key) \(DynamoMessage.brief(keyed.object))"
        case .hintRemoved(let member, let key): "hint removed for \(member) \(key)"
        case .pendingWrites(let key, let writes): "pending \(key) \(writes.count)"
        case .actorEpoch(let epoch): "actor epoch \(epoch)"
        }
    }
}

/// Everything a member keeps durably: its copies, its hints, its pending
/// causal writes and its actor epoch. A restarted member is built from this.
public struct StoredState: Hashable, Sendable {
    /// The member's copies, by key.
    public var objects: [ByteString: StoredObject] = [:]
    /// Hints held for other members.
    public var hints: [MemberID: [ByteString: StoredObject]] = [:]
    /// Pending causal writes, by key.
    public var pending: [ByteString: [PendingWrite]] = [:]
    /// The last actor epoch recorded.
    public var actorEpoch: UInt64 = 0

    /// An empty state.
    public init() {}

    /// Applies one record.
    public mutating func apply(_ record: StorageRecord) {
        switch record {
        case .object(let keyed): objects[keyed.key] = keyed.object
        case .objectRemoved(let key): objects[key] = nil
        case .hint(let member, let keyed): hints[member, default: [:]][keyed.key] = keyed.object
        case .hintRemoved(let member, let key):
            hints[member]?[key] = nil
            if hints[member]?.isEmpty == true { hints[member] = nil }
        case .pendingWrites(let key, let writes): pending[key] = writes.isEmpty ? nil : writes
        case .actorEpoch(let epoch): actorEpoch = max(actorEpoch, epoch)
        }
    }

    /// Applies records in order.
    public mutating func apply(_ records: [StorageRecord]) {
        for record in records { apply(record) }
    }
}
