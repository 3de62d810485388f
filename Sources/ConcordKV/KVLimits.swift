/// The limits the store enforces, with etcd's defaults. Every replica of a
/// cluster must use the same limits: `apply` checks them, and replicas that
/// disagreed would apply the same log differently.
public struct KVLimits: Sendable, Hashable {
    /// The most compares, or operations in one branch, of one transaction
    /// (etcd's `--max-txn-ops`, default 128).
    public var txnOperationsMax: Int
    /// The largest encoded command accepted, in bytes (etcd's
    /// `--max-request-bytes`, default 1.5 MiB).
    public var requestBytesMax: Int

    /// The deepest nesting of transactions inside transactions. Fixed, not
    /// configurable, because decoding a log entry depends on it; it bounds
    /// the recursion of decoding and applying a command.
    public static let txnNestingDepthMax = 32
    /// etcd's default for `txnOperationsMax`.
    public static let defaultTxnOperationsMax = 128
    /// etcd's default for `requestBytesMax`: 1.5 MiB.
    public static let defaultRequestBytesMax = 1_572_864

    /// Creates limits; the defaults are etcd's.
    public init(txnOperationsMax: Int = defaultTxnOperationsMax, requestBytesMax: Int = defaultRequestBytesMax) {
        precondition(txnOperationsMax > 0 && requestBytesMax > 0, "limits must be positive")
        self.txnOperationsMax = txnOperationsMax
        self.requestBytesMax = requestBytesMax
    }
}
