/// Known bugs the MVCC lab can re-introduce (test-only), to show that the
/// linearizability check catches them.
enum MVCCLabBug: String, Sendable, Hashable, CaseIterable {
    /// Ranges are served one revision behind the newest: a read misses the
    /// last write.
    case staleRange = "kv-stale-range"
    /// Transactions take their success branch whatever their compares say:
    /// a compare-and-swap always swaps.
    case txnIgnoresCompare = "kv-txn-ignores-compare"
}
