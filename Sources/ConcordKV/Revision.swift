/// A point in the store's history: the main revision of a write (one per
/// write transaction) and the sub-revision of one change within it (0, 1, …
/// in the order the transaction made its changes), as in etcd's `mvcc`.
struct Revision: Sendable, Hashable, Comparable {
    var main: Int64
    var sub: Int64

    static func < (left: Revision, right: Revision) -> Bool {
        (left.main, left.sub) < (right.main, right.sub)
    }
}
