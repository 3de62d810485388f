import ConcordEtcdAPI
import Foundation
import GRPCCore
import Synchronization

/// One change seen by a watch.
public struct KeyChange: Sendable, Hashable {
    /// What happened to the key.
    public enum Kind: Sendable, Hashable { case put, delete }
    /// Put or delete.
    public var kind: Kind
    /// The key-value after the change (for a delete: the key and the delete's revision).
    public var kv: StoredKey
    /// The key-value before the change, when the watch asked for it.
    public var previous: StoredKey?
    /// The revision of the change.
    public var revision: Int64 { kv.modRevision }

    init(_ event: Mvccpb_Event) {
        kind = event.type == .delete ? .delete : .put
        kv = StoredKey(event.kv)
        previous = event.hasPrevKv ? StoredKey(event.prevKv) : nil
    }
}

/// What a watch reports.
public struct WatchOptions: Sendable {
    /// The first revision to report (0: changes after the watch is created).
    public var startRevision: Int64 = 0
    /// Include each key's previous value.
    public var previous = false
    /// Leave out puts.
    public var noPut = false
    /// Leave out deletes.
    public var noDelete = false
    /// Ask the server for periodic progress notifications; they let a watch
    /// that sees no events resume from a recent revision after a reconnect.
    public var progressNotify = true

    /// Defaults: every change from now on, without previous values.
    public init() {}
}

extension ConcordClient {
    /// Watches `range` and yields each change once, in revision order.
    ///
    /// The watch survives lost connections, endpoint failover and server
    /// restarts: after a stream breaks it is re-created on the next endpoint
    /// from the revision after the last one delivered (or after the last
    /// revision the server confirmed, when no event came yet), and events at
    /// already-delivered revisions are dropped, so no event is lost or
    /// repeated. It ends with ``ConcordClientError/watchCompacted(compactRevision:)``
    /// when the history it needs was compacted, and when the consumer stops
    /// iterating (the server stream is then cancelled).
    public func watch(_ range: KeyRange, options: WatchOptions = .init()) -> AsyncThrowingStream<KeyChange, any Error> {
        let (stream, continuation) = AsyncThrowingStream<KeyChange, any Error>.makeStream()
        let task = Task { [self] in
            do {
                try await runWatch(range, options: options) { events in
                    for event in events { continuation.yield(event) }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Like ``watch(_:options:)``, but yields the events of each server
    /// response together; a response never splits one revision.
    public func watchBatches(_ range: KeyRange, options: WatchOptions = .init()) -> AsyncThrowingStream<[KeyChange], any Error> {
        let (stream, continuation) = AsyncThrowingStream<[KeyChange], any Error>.makeStream()
        let task = Task { [self] in
            do {
                try await runWatch(range, options: options) { events in continuation.yield(events) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func runWatch(
        _ range: KeyRange, options: WatchOptions, deliver: @escaping @Sendable ([KeyChange]) -> Void
    ) async throws {
        let progress = WatchProgress(next: options.startRevision)
        var index = preferredIndex
        var backoff = configuration.reconnectBackoffInitial
        while !Task.isCancelled {
            var create = Etcdserverpb_WatchCreateRequest()
            create.key = range.keyBytes
            create.rangeEnd = range.rangeEndBytes
            create.startRevision = progress.next
            create.prevKv = options.previous
            create.progressNotify = options.progressNotify
            if options.noPut { create.filters.append(.noput) }
            if options.noDelete { create.filters.append(.nodelete) }
            var request = Etcdserverpb_WatchRequest()
            request.requestUnion = .createRequest(create)
            let sentRequest = request
            var callOptions = CallOptions.defaults
            callOptions.waitForReady = false
            do {
                try await connections[index].watch.watch(options: callOptions) { writer in
                    try await writer.write(sentRequest)
                    // Keep the request side open until the call ends: etcd
                    // ends nothing on half-close, but some servers might.
                    try await Task.sleep(for: .seconds(1_000_000_000))
                } onResponse: { response in
                    for try await message in response.messages {
                        try progress.handle(message, deliver: deliver)
                    }
                }
                // The server ended the stream without an error: reconnect.
            } catch let error as ConcordClientError {
                throw error
            } catch let error as RPCError where Self.watchErrorIsFinal(error.code) {
                // Another endpoint would answer the same (for example a
                // server without the Watch service): retrying cannot help.
                throw ConcordClientError(error)
            } catch {
                // The consumer stopped, or the stream broke (a lost
                // connection, a member without a leader): in the second case
                // try the next endpoint after a pause.
                if Task.isCancelled { return }
            }
            if Task.isCancelled { return }
            if progress.madeProgressSinceReset() { backoff = configuration.reconnectBackoffInitial }
            index = rotate(from: index)
            try await Task.sleep(for: backoff)
            backoff = min(backoff * 2, configuration.reconnectBackoffMax)
        }
    }
}

extension ConcordClient {
    /// Whether a watch stream's failure is the server's answer to the
    /// request itself rather than a broken connection or a member in trouble.
    static func watchErrorIsFinal(_ code: RPCError.Code) -> Bool {
        [.unimplemented, .invalidArgument, .permissionDenied, .unauthenticated, .failedPrecondition, .outOfRange]
            .contains(code)
    }
}

/// The revision a watch resumes from, shared between the stream's response
/// handler and the reconnect loop.
final class WatchProgress: Sendable {
    private struct State {
        var next: Int64
        var progressed = false
    }
    private let state: Mutex<State>

    init(next: Int64) { state = Mutex(State(next: next)) }

    /// The first revision not yet delivered (0 before the server named one).
    var next: Int64 { state.withLock { $0.next } }

    func madeProgressSinceReset() -> Bool {
        state.withLock { s in
            defer { s.progressed = false }
            return s.progressed
        }
    }

    func handle(
        _ message: Etcdserverpb_WatchResponse, deliver: ([KeyChange]) -> Void
    ) throws {
        if message.compactRevision > 0 {
            throw ConcordClientError.watchCompacted(compactRevision: message.compactRevision)
        }
        if message.canceled {
            throw ConcordClientError.watchCanceled(reason: message.cancelReason)
        }
        let events = state.withLock { s -> [KeyChange] in
            s.progressed = true
            var fresh: [KeyChange] = []
            for event in message.events where event.kv.modRevision >= s.next || s.next == 0 {
                fresh.append(KeyChange(event))
            }
            if let last = fresh.last {
                s.next = last.revision + 1
            } else if message.events.isEmpty, message.header.revision > 0, !message.created || s.next == 0 {
                // A watch created "from now", or a progress notification
                // (sent only to watchers that have caught up): every change
                // up to the header's revision has been sent. A watch created
                // at an older start revision has its history still to come.
                s.next = max(s.next, message.header.revision + 1)
            }
            return fresh
        }
        if !events.isEmpty { deliver(events) }
    }
}
