import ConcordEtcdAPI
import Foundation

/// One comparison of a transaction, as etcd's `Compare`.
public struct Compare: Sendable {
    /// How the key's field is compared with the given value.
    public enum Operator: Sendable { case equal, notEqual, greater, less }

    var proto: Etcdserverpb_Compare

    private init(_ key: String, _ op: Operator, target: Etcdserverpb_Compare.CompareTarget,
                 _ union: Etcdserverpb_Compare.OneOf_TargetUnion) {
        proto = Etcdserverpb_Compare()
        proto.key = Data(key.utf8)
        proto.target = target
        proto.targetUnion = union
        proto.result = switch op {
        case .equal: .equal
        case .notEqual: .notEqual
        case .greater: .greater
        case .less: .less
        }
    }

    /// Compares the key's value. A missing key fails every value comparison.
    public static func value(_ key: String, _ op: Operator, _ value: String) -> Compare {
        Compare(key, op, target: .value, .value(Data(value.utf8)))
    }
    /// Compares the key's version (0 when the key is absent).
    public static func version(_ key: String, _ op: Operator, _ version: Int64) -> Compare {
        Compare(key, op, target: .version, .version(version))
    }
    /// Compares the key's create revision (0 when the key is absent).
    public static func createRevision(_ key: String, _ op: Operator, _ revision: Int64) -> Compare {
        Compare(key, op, target: .create, .createRevision(revision))
    }
    /// Compares the key's mod revision (0 when the key is absent).
    public static func modRevision(_ key: String, _ op: Operator, _ revision: Int64) -> Compare {
        Compare(key, op, target: .mod, .modRevision(revision))
    }
    /// Compares the key's lease (0 when none).
    public static func lease(_ key: String, _ op: Operator, _ lease: Int64) -> Compare {
        Compare(key, op, target: .lease, .lease(lease))
    }
    /// The key does not exist.
    public static func absent(_ key: String) -> Compare { createRevision(key, .equal, 0) }
}

/// One operation of a transaction branch.
public enum TxnOp: Sendable {
    /// Writes a value, attached to a lease when it is not 0.
    case put(String, [UInt8], lease: Int64 = 0)
    /// Reads a range.
    case get(KeyRange, GetOptions = .init())
    /// Deletes a range.
    case delete(KeyRange)

    /// Writes the UTF-8 bytes of `value`.
    public static func put(_ key: String, _ value: String, lease: Int64 = 0) -> TxnOp {
        .put(key, Array(value.utf8), lease: lease)
    }

    var proto: Etcdserverpb_RequestOp {
        var op = Etcdserverpb_RequestOp()
        switch self {
        case let .put(key, value, lease):
            var put = Etcdserverpb_PutRequest()
            put.key = Data(key.utf8)
            put.value = Data(value)
            put.lease = lease
            op.request = .requestPut(put)
        case let .get(range, options):
            op.request = .requestRange(options.request(range))
        case let .delete(range):
            var delete = Etcdserverpb_DeleteRangeRequest()
            delete.key = range.keyBytes
            delete.rangeEnd = range.rangeEndBytes
            op.request = .requestDeleteRange(delete)
        }
        return op
    }
}

/// The answer to one transaction operation.
public enum TxnOpResult: Sendable {
    /// A read's keys.
    case get(RangeResult)
    /// A put's revision.
    case put(revision: Int64)
    /// How many keys a delete removed.
    case delete(deleted: Int64)

    /// The keys, when this answers a read.
    public var range: RangeResult? {
        if case let .get(result) = self { return result }
        return nil
    }
}

/// The answer to a transaction.
public struct TxnResult: Sendable {
    /// Whether every comparison held (the `then` branch ran) or not (`else`).
    public var succeeded: Bool
    /// The store's revision after the transaction.
    public var revision: Int64
    /// One answer per operation of the branch that ran.
    public var results: [TxnOpResult]
}

/// A transaction under construction: `if` all comparisons hold `then` run
/// these operations `else` those, atomically at one revision.
///
/// ```swift
/// let result = try await client.txn()
///     .when(.modRevision("config", .equal, seen))
///     .then(.put("config", "v2"))
///     .else(.get(.key("config")))
///     .commit()
/// ```
public struct Txn: Sendable {
    let client: ConcordClient
    var compares: [Compare] = []
    var success: [TxnOp] = []
    var failure: [TxnOp] = []

    /// Adds comparisons; all must hold for the `then` branch.
    public func when(_ compares: Compare...) -> Txn {
        var copy = self
        copy.compares += compares
        return copy
    }
    /// Adds operations to run when every comparison holds.
    public func then(_ ops: TxnOp...) -> Txn {
        var copy = self
        copy.success += ops
        return copy
    }
    /// Adds operations to run otherwise.
    public func `else`(_ ops: TxnOp...) -> Txn {
        var copy = self
        copy.failure += ops
        return copy
    }

    /// Sends the transaction.
    @discardableResult
    public func commit() async throws(ConcordClientError) -> TxnResult {
        var request = Etcdserverpb_TxnRequest()
        request.compare = compares.map(\.proto)
        request.success = success.map(\.proto)
        request.failure = failure.map(\.proto)
        let callOptions = client.callOptions
        let response = try await client.withFailover { try await $0.kv.txn(request, options: callOptions) }
        let results: [TxnOpResult] = response.responses.map { op in
            switch op.response {
            case let .responseRange(range): .get(RangeResult(range))
            case let .responsePut(put): .put(revision: put.header.revision)
            case let .responseDeleteRange(delete): .delete(deleted: delete.deleted)
            case .responseTxn, .none: .delete(deleted: 0)
            }
        }
        return TxnResult(succeeded: response.succeeded, revision: response.header.revision, results: results)
    }
}

extension ConcordClient {
    /// Starts a transaction; see ``Txn``.
    public func txn() -> Txn { Txn(client: self) }
}
