/// One put to a key: the value and lease it set, at which revision, and the
/// key's version after it.
struct KeyVersion: Sendable, Hashable {
    var revision: Revision
    var version: Int64
    var value: [UInt8]
    var lease: Int64
}

/// One life of a key, from the put that created it to the delete that ended
/// it (if any). A key deleted and put again starts a new generation, whose
/// create revision and version start afresh.
///
/// Invariant: `versions` is not empty and its revisions increase; the
/// tombstone, if any, comes after the last version.
struct KeyGeneration: Sendable, Hashable {
    /// The main revision of the put that created the generation.
    var createRevision: Int64
    /// The puts of the generation still kept (compaction drops the older
    /// ones), oldest first.
    var versions: [KeyVersion]
    /// The delete that ended the generation; nil for a live key.
    var tombstone: Revision?
}

/// Everything the store keeps about one key: its generations, oldest first.
///
/// Invariant: every generation but the last has a tombstone; revisions
/// increase across generations.
struct KeyHistory: Sendable, Hashable {
    let key: [UInt8]
    private(set) var generations: [KeyGeneration]

    init(key: [UInt8], generations: [KeyGeneration] = []) {
        self.key = key
        self.generations = generations
    }

    /// True when compaction left nothing: the key can leave the index.
    var isEmpty: Bool { generations.isEmpty }

    /// The key as it was at the end of main revision `revision`, or nil if
    /// it did not exist then.
    func value(at revision: Int64) -> KeyValue? {
        // The generation in force: the newest one created at or before it.
        guard let index = generations.lastIndex(where: { $0.versions[0].revision.main <= revision }) else {
            return nil
        }
        let generation = generations[index]
        if let tombstone = generation.tombstone, tombstone.main <= revision { return nil }
        guard let version = generation.versions.last(where: { $0.revision.main <= revision }) else { return nil }
        return KeyValue(
            key: key, createRevision: generation.createRevision, modRevision: version.revision.main,
            version: version.version, value: version.value, lease: version.lease)
    }

    /// The key as it is now, or nil if it does not exist.
    var latest: KeyValue? {
        value(at: .max)
    }

    /// Records a put at `revision`, which must be later than everything
    /// recorded so far.
    mutating func put(value: [UInt8], lease: Int64, at revision: Revision) {
        precondition(revision > (lastRevision ?? Revision(main: 0, sub: 0)), "a put must be newer than the key's history")
        if let last = generations.indices.last, generations[last].tombstone == nil {
            let version = generations[last].versions[generations[last].versions.count - 1].version + 1
            generations[last].versions.append(KeyVersion(revision: revision, version: version, value: value, lease: lease))
        } else {
            generations.append(
                KeyGeneration(
                    createRevision: revision.main,
                    versions: [KeyVersion(revision: revision, version: 1, value: value, lease: lease)]))
        }
    }

    /// Records a delete at `revision`. Returns false (and records nothing)
    /// when the key does not exist.
    mutating func delete(at revision: Revision) -> Bool {
        guard let last = generations.indices.last, generations[last].tombstone == nil else { return false }
        precondition(revision > lastRevision!, "a delete must be newer than the key's history")
        generations[last].tombstone = revision
        return true
    }

    /// Forgets what no read at `revision` or later can see: generations
    /// deleted at or before it, and in each remaining generation the puts
    /// before the last one at or before it (etcd's `keyIndex.compact`).
    mutating func compact(at revision: Int64) {
        generations.removeAll { generation in
            generation.tombstone.map { $0.main <= revision } ?? false
        }
        for index in generations.indices {
            let versions = generations[index].versions
            guard let keep = versions.lastIndex(where: { $0.revision.main <= revision }), keep > 0 else { continue }
            generations[index].versions.removeFirst(keep)
        }
    }

    /// The newest revision recorded for the key.
    var lastRevision: Revision? {
        guard let generation = generations.last else { return nil }
        return generation.tombstone ?? generation.versions.last?.revision
    }
}
