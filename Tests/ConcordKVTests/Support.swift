import ConcordKV
import Testing

/// The UTF-8 bytes of a string: keys and values in tests.
func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// The keys of a list of pairs, as strings.
func keys(_ kvs: [KeyValue]) -> [String] {
    kvs.map { String(decoding: $0.key, as: UTF8.self) }
}

extension MVCCStore {
    /// Puts a key, failing the test on error.
    @discardableResult
    mutating func put(_ key: String, _ value: String, prevKV: Bool = false) throws -> PutResponse {
        guard case .put(let response) = try apply(.put(PutRequest(key: bytes(key), value: bytes(value), prevKV: prevKV))) else {
            preconditionFailure("a put returned something else")
        }
        return response
    }

    /// Deletes a key or a range.
    @discardableResult
    mutating func delete(_ key: String, rangeEnd: [UInt8] = [], prevKV: Bool = false) throws -> DeleteRangeResponse {
        guard case .deleteRange(let response) = try apply(.deleteRange(DeleteRangeRequest(key: bytes(key), rangeEnd: rangeEnd, prevKV: prevKV))) else {
            preconditionFailure("a delete returned something else")
        }
        return response
    }

    /// Applies a transaction.
    mutating func txn(_ request: TxnRequest) throws -> TxnResponse {
        guard case .txn(let response) = try apply(.txn(request)) else {
            preconditionFailure("a txn returned something else")
        }
        return response
    }

    /// Reads one key now, or at a revision.
    func get(_ key: String, revision: Int64 = 0) throws -> KeyValue? {
        try range(RangeRequest(key: bytes(key), revision: revision)).kvs.first
    }
}

/// The error a throwing call threw, or nil.
func kvError<T>(_ body: () throws -> T) -> KVError? {
    do {
        _ = try body()
        return nil
    } catch let error as KVError {
        return error
    } catch {
        Issue.record("not a KVError: \(error)")
        return nil
    }
}
