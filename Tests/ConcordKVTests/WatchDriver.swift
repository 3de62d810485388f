import ConcordKV
import Testing

/// A server shell in miniature: a state machine and a watch hub wired as
/// docs/watch-lease.md says the server wires them.
struct WatchDriver {
    var machine: KVStateMachine
    var hub: WatchHub

    init(limits: WatchLimits = WatchLimits()) {
        machine = KVStateMachine()
        hub = WatchHub(currentRevision: machine.store.currentRevision, limits: limits)
    }

    var store: MVCCStore { machine.store }

    /// Applies a command and hands its events to the hub.
    @discardableResult
    mutating func apply(_ command: StoreCommand, now: Int64 = 0) throws(KVStateMachine.Failure) -> KVStateMachine.Result {
        let (result, events) = try machine.apply(command, nowMilliseconds: now)
        hub.onApplied(revision: machine.store.currentRevision, events: events)
        return result
    }

    mutating func put(_ key: String, _ value: String, lease: Int64 = 0) throws {
        try apply(.kv(.put(PutRequest(key: bytes(key), value: bytes(value), lease: lease))))
    }

    mutating func delete(_ key: String, rangeEnd: String = "") throws {
        try apply(.kv(.deleteRange(DeleteRangeRequest(key: bytes(key), rangeEnd: bytes(rangeEnd)))))
    }

    mutating func compact(_ revision: Int64) throws {
        try apply(.kv(.compact(CompactionRequest(revision: revision))))
    }

    @discardableResult
    mutating func watch(_ request: WatchCreateRequest, stream: Int64 = 1) -> Result<Int64, WatchError> {
        hub.onCreate(stream: stream, request, store: machine.store)
    }

    mutating func take(stream: Int64 = 1, max: Int = .max) -> [WatchResponse] {
        hub.takeResponses(stream: stream, store: machine.store, maxEntries: max)
    }

    /// Takes until the stream's queue is empty and every watcher is synced.
    mutating func drain(stream: Int64 = 1) -> [WatchResponse] {
        var all: [WatchResponse] = []
        for _ in 0..<10_000 {
            all += take(stream: stream)
            let synced = hub.watchIDs(stream: stream).allSatisfy { hub.isSynced(stream: stream, watchID: $0) == true }
            if synced && hub.queuedEntryCount(stream: stream) == 0 { return all }
        }
        Issue.record("the stream never drained")
        return all
    }
}

/// Describes events compactly: "PUT a=1@2" or "DELETE a@3".
func describe(_ events: [WatchEvent]) -> [String] {
    events.map { event in
        let key = String(decoding: event.kv.key, as: UTF8.self)
        switch event.kind {
        case .put: return "PUT \(key)=\(String(decoding: event.kv.value, as: UTF8.self))@\(event.revision)"
        case .delete: return "DELETE \(key)@\(event.revision)"
        }
    }
}

/// The events of a watcher's responses, in order.
func events(of responses: [WatchResponse], watchID: Int64) -> [WatchEvent] {
    responses.filter { $0.watchID == watchID }.flatMap(\.events)
}
