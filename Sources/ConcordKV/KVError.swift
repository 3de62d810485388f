/// Why the store refused a request, with etcd's exact message and the gRPC
/// status code etcd answers with, so the server maps it without a table.
///
/// A refused request changes nothing.
public enum KVError: Error, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A key (of a request, an operation or a compare) is empty.
    case emptyKey
    /// `ignoreValue` or `ignoreLease` on a key that does not exist; also the
    /// server's answer to an empty transaction operation.
    case keyNotFound
    /// `ignoreValue` with a non-empty value.
    case valueProvided
    /// `ignoreLease` with a non-zero lease.
    case leaseProvided
    /// A transaction with more compares or operations in one list than the
    /// limit (`KVLimits.txnOperationsMax`).
    case tooManyOperations
    /// A transaction puts one key twice, or puts a key it also deletes.
    case duplicateKey
    /// A read or compaction at a revision below the compacted one (or a
    /// compaction at or below it).
    case compacted
    /// A read or compaction at a revision above the current one.
    case futureRevision
    /// The encoded command is larger than `KVLimits.requestBytesMax`.
    case requestTooLarge
    /// A put names a lease that does not exist.
    case leaseNotFound

    /// etcd's message, word for word.
    public var message: String {
        switch self {
        case .emptyKey: "etcdserver: key is not provided"
        case .keyNotFound: "etcdserver: key not found"
        case .valueProvided: "etcdserver: value is provided"
        case .leaseProvided: "etcdserver: lease is provided"
        case .tooManyOperations: "etcdserver: too many operations in txn request"
        case .duplicateKey: "etcdserver: duplicate key given in txn request"
        case .compacted: "etcdserver: mvcc: required revision has been compacted"
        case .futureRevision: "etcdserver: mvcc: required revision is a future revision"
        case .requestTooLarge: "etcdserver: request is too large"
        case .leaseNotFound: "etcdserver: requested lease not found"
        }
    }

    /// The gRPC status code etcd answers with, in gRPC's numbering
    /// (3 invalid argument, 5 not found, 11 out of range).
    public var grpcStatusCode: Int {
        switch self {
        case .emptyKey, .keyNotFound, .valueProvided, .leaseProvided, .tooManyOperations, .duplicateKey,
            .requestTooLarge:
            Self.invalidArgument
        case .compacted, .futureRevision:
            Self.outOfRange
        case .leaseNotFound:
            Self.notFound
        }
    }

    /// gRPC's `INVALID_ARGUMENT`.
    public static let invalidArgument = 3
    /// gRPC's `NOT_FOUND`.
    public static let notFound = 5
    /// gRPC's `OUT_OF_RANGE`.
    public static let outOfRange = 11

    /// etcd's message.
    public var description: String { message }
}
