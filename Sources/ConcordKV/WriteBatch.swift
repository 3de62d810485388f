/// The changes of one write transaction in progress: they all belong to
/// main revision `beginRevision + 1` and are numbered by sub-revision.
struct WriteBatch {
    /// The store's revision when the transaction began.
    let beginRevision: Int64
    /// How many changes (puts and deletes of existing keys) were made.
    private(set) var changes: Int64 = 0

    init(beginRevision: Int64) {
        self.beginRevision = beginRevision
    }

    /// The revision reads inside the transaction see: the new one once the
    /// transaction changed something (its own changes are visible to it).
    var readRevision: Int64 { changes > 0 ? beginRevision + 1 : beginRevision }

    /// The revision of the next change.
    mutating func nextChange() -> Revision {
        defer { changes += 1 }
        return Revision(main: beginRevision + 1, sub: changes)
    }
}
