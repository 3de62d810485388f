import ConcordKV
import GRPCCore
import ServiceLifecycle

/// The key-space steps that etcd's locks and elections are built from,
/// run on a node's own KV, leases and watch hub (as etcd's concurrency
/// package does): a key per owner under a prefix, queued by create
/// revision, with waits on the node's watch streams rather than polling.
enum ConcurrencyKeys {
    /// The result of claiming an owner key.
    struct Claim {
        /// The owner key, `prefix` followed by the lease ID in hex.
        var key: [UInt8]
        /// The key's create revision: its place in the queue and the
        /// fencing token.
        var createRevision: Int64
        /// The key's value when it already existed.
        var existingValue: [UInt8]?
        /// The store revision of the claim.
        var revision: Int64
        /// Raft term of the answer.
        var term: UInt64
    }

    /// The owner key of `lease` under `prefix`, as etcd names it.
    static func ownerKey(prefix: [UInt8], lease: Int64) -> [UInt8] {
        prefix + Array(String(UInt64(bitPattern: lease), radix: 16).utf8)
    }

    /// Creates `prefix`+lease hex with `value` attached to `lease` unless it
    /// exists; either way answers its create revision.
    static func claim(node: ConcordNode, prefix: [UInt8], lease: Int64, value: [UInt8]) async throws -> Claim {
        guard lease != 0 else { throw RPCError(code: .invalidArgument, message: "etcdserver: lease must be granted (lease ID 0)") }
        let key = ownerKey(prefix: prefix, lease: lease)
        let txn = TxnRequest(
            compare: [Compare(key: key, target: .createRevision(0), result: .equal)],
            success: [.put(PutRequest(key: key, value: value, lease: lease))],
            failure: [.range(RangeRequest(key: key))])
        let (result, term) = try await node.write(.txn(txn))
        guard case .txn(let response) = result else { throw EtcdTranslation.unexpected(result) }
        if response.succeeded {
            return Claim(key: key, createRevision: response.header.revision, existingValue: nil, revision: response.header.revision, term: term)
        }
        guard case .range(let existing) = response.responses.first, let pair = existing.kvs.first else { throw EtcdTranslation.unexpected(result) }
        return Claim(key: key, createRevision: pair.createRevision, existingValue: pair.value, revision: response.header.revision, term: term)
    }

    /// The key under `prefix` with the lowest create revision, if any.
    static func firstOwner(node: ConcordNode, prefix: [UInt8]) async throws -> (KeyValue?, revision: Int64, term: UInt64) {
        var request = RangeRequest.prefix(prefix)
        request.limit = 1
        request.sortOrder = .ascend
        request.sortTarget = .create
        let (response, term) = try await node.range(request)
        return (response.kvs.first, response.header.revision, term)
    }

    /// Waits until no key under `prefix` has a create revision below
    /// `createRevision`: each time, the latest such predecessor is
    /// watched until it is deleted (by its owner or its lease's expiry).
    static func waitForPredecessors(node: ConcordNode, prefix: [UInt8], createRevision: Int64) async throws {
        while true {
            try Task.checkCancellation()
            var request = RangeRequest.prefix(prefix)
            request.limit = 1
            request.sortOrder = .descend
            request.sortTarget = .create
            request.maxCreateRevision = createRevision - 1
            let (response, _) = try await node.range(request)
            guard let predecessor = response.kvs.first else { return }
            try await waitForChange(node: node, key: predecessor.key, after: response.header.revision, deletesOnly: true)
        }
    }

    /// Waits for the first event on `key` (or, with `rangeEnd`, on the
    /// range) after store revision `after`, through a watch stream on the
    /// node. Returns the events of the first batch.
    @discardableResult
    static func waitForChange(
        node: ConcordNode, key: [UInt8], rangeEnd: [UInt8] = [], after revision: Int64, deletesOnly: Bool
    ) async throws -> [WatchEvent] {
        let (id, wakeups) = await node.openWatchStream()
        await node.watchRequest(
            stream: id, .create(WatchCreateRequest(key: key, rangeEnd: rangeEnd, startRevision: revision + 1, noPut: deletesOnly)))
        do {
            for await _ in wakeups {
                let (responses, _) = await node.takeWatchResponses(stream: id)
                for answer in responses {
                    if answer.canceled {
                        throw RPCError(code: .unavailable, message: "etcdserver: watch canceled: \(answer.cancelReason)")
                    }
                    if !answer.events.isEmpty {
                        await node.closeWatchStream(id)
                        return answer.events
                    }
                }
            }
            try Task.checkCancellation()
            throw RPCError(code: .unavailable, message: "etcdserver: watch ended")
        } catch {
            await node.closeWatchStream(id)
            throw error
        }
    }

    /// Deletes `key` if its create revision is still `createRevision`.
    /// - Returns: whether it was deleted, the revision and the term.
    static func deleteIfOwned(node: ConcordNode, key: [UInt8], createRevision: Int64) async throws -> (Bool, revision: Int64, term: UInt64) {
        let txn = TxnRequest(
            compare: [Compare(key: key, target: .createRevision(createRevision), result: .equal)],
            success: [.deleteRange(DeleteRangeRequest(key: key))])
        let (result, term) = try await node.write(.txn(txn))
        guard case .txn(let response) = result else { throw EtcdTranslation.unexpected(result) }
        return (response.succeeded, response.header.revision, term)
    }

    /// Runs `body`, a call that may wait indefinitely, until it finishes or
    /// its RPC ends: gRPC reports a client's cancellation, a deadline or a
    /// dropped connection through `context.cancellation` rather than by
    /// cancelling the handler, and graceful shutdown must end waits too.
    /// Either way `body` is cancelled and its clean-up runs.
    static func untilRPCEnds<Result: Sendable>(
        _ context: ServerContext, _ body: @Sendable @escaping () async throws -> Result
    ) async throws -> Result {
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask { try await body() }
                group.addTask {
                    try await context.cancellation.cancelled
                    return nil
                }
                defer { group.cancelAll() }
                while let next = try await group.next() {
                    if let value = next { return value }
                    throw RPCError(code: .cancelled, message: "context canceled")
                }
                throw CancellationError()
            }
        }
    }
}
