import ConcordKV

/// The hash HashKV answers: a 32-bit FNV-1a hash of every retained version
/// of every key with a main revision at or below a revision, in revision
/// order. Members that applied the same log hash equally, and
/// `concord snapshot status` reports the hash of a saved snapshot at its
/// revision, so it can be compared with `etcdctl endpoint hashkv`.
public enum KVHash {
    /// The hash of `store`'s versions up to revision `upTo` (the caller
    /// checks that it is neither compacted nor in the future).
    public static func hash(_ store: MVCCStore, upTo: Int64) -> UInt32 {
        var hash: UInt32 = 0x811c_9dc5
        func mix(_ bytes: some Sequence<UInt8>) {
            for byte in bytes {
                hash ^= UInt32(byte)
                hash = hash &* 0x0100_0193
            }
        }
        func mix(_ value: Int64) { withUnsafeBytes(of: value.littleEndian) { mix($0) } }
        guard upTo >= 1 else { return hash }
        for event in store.events(key: [0], rangeEnd: [0], revisions: 1...upTo) {
            mix(event.kind == .put ? [1] : [2])
            mix(Int64(event.kv.key.count))
            mix(event.kv.key)
            mix(event.revision)
            mix(event.subRevision)
            mix(event.kv.createRevision)
            mix(event.kv.version)
            mix(event.kv.lease)
            mix(Int64(event.kv.value.count))
            mix(event.kv.value)
        }
        return hash
    }
}
