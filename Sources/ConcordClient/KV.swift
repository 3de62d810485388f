import ConcordEtcdAPI
import Foundation

/// The result of a put.
public struct PutResult: Sendable {
    /// The revision the put created.
    public var revision: Int64
    /// The previous key-value, when asked for and present.
    public var previous: StoredKey?
}

/// The result of a delete.
public struct DeleteResult: Sendable {
    /// The revision after the delete.
    public var revision: Int64
    /// How many keys were deleted.
    public var deleted: Int64
    /// The deleted key-values, when asked for.
    public var previous: [StoredKey]
}

extension ConcordClient {
    /// Reads the keys in `range`.
    /// - Throws: ``ConcordClientError``; e.g. `.rpc(.outOfRange, …compacted)`
    ///   when `options.revision` was compacted.
    public func get(_ range: KeyRange, options: GetOptions = .init()) async throws(ConcordClientError) -> RangeResult {
        let request = options.request(range)
        let callOptions = self.callOptions
        return RangeResult(try await withFailover { try await $0.kv.range(request, options: callOptions) })
    }

    /// The current value of one key, or nil.
    public func get(_ key: String, serializable: Bool = false) async throws(ConcordClientError) -> StoredKey? {
        var options = GetOptions()
        options.serializable = serializable
        return try await get(.key(key), options: options).kvs.first
    }

    /// Writes `value` to `key`, attached to `lease` when it is not 0.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: Int64 = 0, previous: Bool = false)
        async throws(ConcordClientError) -> PutResult
    {
        guard !key.isEmpty else { throw .invalidArgument("key is empty") }
        var request = Etcdserverpb_PutRequest()
        request.key = Data(key.utf8)
        request.value = Data(value)
        request.lease = lease
        request.prevKv = previous
        let callOptions = self.callOptions
        let response = try await withFailover { try await $0.kv.put(request, options: callOptions) }
        return PutResult(revision: response.header.revision, previous: response.hasPrevKv ? StoredKey(response.prevKv) : nil)
    }

    /// Writes the UTF-8 bytes of `value` to `key`.
    @discardableResult
    public func put(_ key: String, _ value: String, lease: Int64 = 0, previous: Bool = false)
        async throws(ConcordClientError) -> PutResult
    {
        try await put(key, Array(value.utf8), lease: lease, previous: previous)
    }

    /// Deletes the keys in `range`.
    @discardableResult
    public func delete(_ range: KeyRange, previous: Bool = false) async throws(ConcordClientError) -> DeleteResult {
        var request = Etcdserverpb_DeleteRangeRequest()
        request.key = range.keyBytes
        request.rangeEnd = range.rangeEndBytes
        request.prevKv = previous
        let callOptions = self.callOptions
        let response = try await withFailover { try await $0.kv.deleteRange(request, options: callOptions) }
        return DeleteResult(
            revision: response.header.revision, deleted: response.deleted, previous: response.prevKvs.map(StoredKey.init))
    }

    /// Discards history before `revision`; reads and watches at older
    /// revisions then fail as compacted.
    public func compact(_ revision: Int64, physical: Bool = false) async throws(ConcordClientError) {
        var request = Etcdserverpb_CompactionRequest()
        request.revision = revision
        request.physical = physical
        let callOptions = self.callOptions
        _ = try await withFailover { try await $0.kv.compact(request, options: callOptions) }
    }
}
