/// etcd's watch machinery as a pure value: every watcher of every watch
/// stream on one node, fed with the events of each applied revision and
/// drained by the server one stream at a time.
///
/// The server (a shell) owns one hub next to its `MVCCStore` and calls:
/// - `onApplied(revision:events:)` after applying each command, with
///   `store.events(of:at:)` (or the events a lease revoke produced);
/// - `onCreate`, `onCancel`, `onProgressRequest` for a stream's requests,
///   and `onStreamClosed` when a stream ends;
/// - `onTick()` on every tick, for periodic progress notifications;
/// - `onRestored(store:)` after installing a snapshot;
/// - `takeResponses(stream:store:maxEntries:)` whenever the stream can
///   accept writes, and sends what it returns in order.
///
/// Guarantees, per watcher: events arrive ordered by revision and
/// sub-revision; every event of the watched keys with revision at or after
/// the start revision arrives exactly once, unless the watcher is cancelled
/// (by the client, or because the history it needs was compacted, which it
/// is told with `compactRevision`). A watcher whose consumer is slow never
/// loses events: when its pending queue would exceed
/// `WatchLimits.pendingEventsMax` it stops taking live events and becomes
/// *unsynced*, and `takeResponses` replays its missed revisions from the
/// store's history once its queue drains (etcd's unsynced watcher group).
/// Such a watcher is cancelled, with a reason naming the revision to resume
/// from, once it lags the store by more than
/// `WatchLimits.slowWatcherRevisionsMax` revisions: a consumer that never
/// reads does not make its catch-up read grow without bound.
///
/// A progress notification (the watcher's own, or the stream-wide one with
/// watch ID -1) is queued only when the watchers concerned are synced, so
/// its revision promises that every event up to it was queued before it.
public struct WatchHub: Sendable {
    /// The limits in force.
    public let limits: WatchLimits
    /// The last revision the hub was told about.
    public private(set) var currentRevision: Int64
    private var streams: [Int64: Stream] = [:]
    private var ticks = 0
    /// A deliberately re-introduced bug, for tests that show the watch
    /// property test catches it; nil in every real use.
    var bug: Bug?

    /// Known watch bugs the tests must catch.
    enum Bug: Sendable, CaseIterable {
        /// A slow watcher's overflowing events are dropped instead of
        /// replayed from history.
        case slowWatcherDropsEvents
        /// Catch-up from history skips a watcher's first missed revision.
        case catchUpSkipsARevision
    }

    /// Creates a hub for a store at `currentRevision`.
    public init(currentRevision: Int64, limits: WatchLimits = WatchLimits()) {
        self.currentRevision = currentRevision
        self.limits = limits
    }

    struct Watcher: Sendable {
        var request: WatchCreateRequest
        /// The first revision whose events are not yet queued.
        var nextRevision: Int64
        /// Synced: live events are queued as they are applied.
        /// Invariant: a synced watcher has `nextRevision > currentRevision`.
        var synced: Bool
        /// Events queued and not yet taken.
        var queuedEvents = 0
        /// Unsynced because its queue was full, not because it started in
        /// the past: the lag limit applies.
        var fellBehind = false
    }

    enum Entry: Sendable {
        case control(WatchResponse)
        /// `fragment` is the watcher's choice, kept with the entry so the
        /// events are split as asked even if the watcher is gone (cancelled
        /// as compacted) by the time they are sent.
        case events(watchID: Int64, revision: Int64, events: [WatchEvent], fragment: Bool)
    }

    struct Stream: Sendable {
        var watchers: [Int64: Watcher] = [:]
        var nextWatchID: Int64 = 0
        var queue: [Entry] = []
        var progressRequested = false
    }

    /// The IDs of a stream's watchers.
    public func watchIDs(stream: Int64) -> [Int64] {
        (streams[stream]?.watchers.keys).map { $0.sorted() } ?? []
    }

    /// Whether a watcher is receiving live events (false while it catches
    /// up from history).
    public func isSynced(stream: Int64, watchID: Int64) -> Bool? {
        streams[stream]?.watchers[watchID]?.synced
    }

    /// How many entries wait in a stream's queue.
    public func queuedEntryCount(stream: Int64) -> Int {
        streams[stream]?.queue.count ?? 0
    }

    // MARK: - Stream requests

    /// Handles a create request: registers the watcher and queues the
    /// `created` response; a refused request (duplicate ID, empty range)
    /// queues a created-and-canceled response with watch ID -1 and the
    /// reason, as etcd does, and registers nothing. A start revision at or
    /// below the store's compacted revision is accepted and then cancelled
    /// with `compactRevision` set.
    /// - Returns: the watch ID, or the error the client is told.
    @discardableResult
    public mutating func onCreate(stream streamID: Int64, _ request: WatchCreateRequest, store: MVCCStore) -> Result<Int64, WatchError> {
        var request = request
        if request.key.isEmpty { request.key = [0] }
        var stream = streams[streamID] ?? Stream()
        defer { streams[streamID] = stream }
        if !request.rangeEnd.isEmpty && request.rangeEnd != [0] && !request.key.lexicographicallyPrecedes(request.rangeEnd) {
            stream.queue.append(.control(refusal(.emptyRange)))
            return .failure(.emptyRange)
        }
        if stream.watchers.count >= limits.watchersPerStreamMax {
            let error = WatchError.tooManyWatchers(max: limits.watchersPerStreamMax)
            stream.queue.append(.control(refusal(error)))
            return .failure(error)
        }
        let id: Int64
        if request.watchID != 0 {
            guard stream.watchers[request.watchID] == nil else {
                stream.queue.append(.control(refusal(.duplicateWatchID)))
                return .failure(.duplicateWatchID)
            }
            id = request.watchID
        } else {
            while stream.watchers[stream.nextWatchID] != nil { stream.nextWatchID += 1 }
            id = stream.nextWatchID
            stream.nextWatchID += 1
        }
        request.watchID = id
        stream.queue.append(.control(WatchResponse(revision: currentRevision, watchID: id, created: true)))
        let start = request.startRevision > 0 ? request.startRevision : currentRevision + 1
        if store.compactedRevision > 0 && start <= store.compactedRevision {
            stream.queue.append(.control(compacted(id, store: store)))
            return .success(id)
        }
        stream.watchers[id] = Watcher(request: request, nextRevision: start, synced: start > currentRevision)
        return .success(id)
    }

    /// Refuses a create request the caller may not make: queues the
    /// created-and-canceled response with watch ID -1 and `reason`, as
    /// etcd answers a watch its auth store refuses, and registers nothing.
    public mutating func onRefusedCreate(stream streamID: Int64, reason: String) {
        var stream = streams[streamID] ?? Stream()
        stream.queue.append(.control(WatchResponse(revision: currentRevision, watchID: -1, created: true, canceled: true, cancelReason: reason)))
        streams[streamID] = stream
    }

    /// Handles a cancel request: removes the watcher, drops its queued
    /// events and queues the `canceled` response. An unknown ID is ignored,
    /// as etcd ignores it.
    /// - Returns: whether a watcher was cancelled.
    @discardableResult
    public mutating func onCancel(stream streamID: Int64, watchID: Int64) -> Bool {
        guard var stream = streams[streamID], stream.watchers.removeValue(forKey: watchID) != nil else { return false }
        stream.queue.removeAll { entry in
            if case .events(let owner, _, _, _) = entry { return owner == watchID }
            return false
        }
        stream.queue.append(.control(WatchResponse(revision: currentRevision, watchID: watchID, canceled: true)))
        streams[streamID] = stream
        queueRequestedProgress(streamID)
        return true
    }

    /// Handles a progress request: a response with watch ID -1 and the
    /// current revision, queued as soon as every watcher of the stream is
    /// synced (at once if they are).
    public mutating func onProgressRequest(stream streamID: Int64) {
        var stream = streams[streamID] ?? Stream()
        stream.progressRequested = true
        streams[streamID] = stream
        queueRequestedProgress(streamID)
    }

    /// Forgets a stream and its watchers.
    public mutating func onStreamClosed(stream streamID: Int64) {
        streams[streamID] = nil
    }

    // MARK: - Store changes and time

    /// Records an applied command: `revision` is the store's revision after
    /// it (equal to `currentRevision` when it changed nothing) and `events`
    /// its changes. Synced watchers queue the events they select; one whose
    /// queue would overflow becomes unsynced; one that fell behind that way
    /// and now lags by more than `slowWatcherRevisionsMax` is cancelled
    /// (its events already queued are still sent, then the cancel).
    /// - Precondition: `revision` is `currentRevision` or the next one, and
    ///   events belong to it.
    public mutating func onApplied(revision: Int64, events: [WatchEvent]) {
        precondition(revision == currentRevision || revision == currentRevision + 1, "revisions are applied in order")
        precondition(events.allSatisfy { $0.revision == revision }, "events belong to the applied revision")
        guard revision > currentRevision else { return }
        currentRevision = revision
        for streamID in streams.keys {
            var stream = streams[streamID]!
            var cancelledSlow = false
            for id in stream.watchers.keys.sorted() {
                var watcher = stream.watchers[id]!
                if !watcher.synced && watcher.fellBehind && revision - watcher.nextRevision >= limits.slowWatcherRevisionsMax {
                    stream.watchers[id] = nil
                    stream.queue.append(.control(tooSlow(id, resumeRevision: watcher.nextRevision)))
                    cancelledSlow = true
                    continue
                }
                guard watcher.synced, watcher.nextRevision <= revision else { continue }
                let selected = Self.select(events, for: watcher.request)
                if watcher.queuedEvents + selected.count > limits.pendingEventsMax && bug != .slowWatcherDropsEvents {
                    watcher.synced = false
                    watcher.fellBehind = true
                } else if watcher.queuedEvents + selected.count > limits.pendingEventsMax {
                    watcher.nextRevision = revision + 1
                } else {
                    if !selected.isEmpty {
                        stream.queue.append(.events(watchID: id, revision: revision, events: selected, fragment: watcher.request.fragment))
                        watcher.queuedEvents += selected.count
                    }
                    watcher.nextRevision = revision + 1
                }
                stream.watchers[id] = watcher
            }
            streams[streamID] = stream
            if cancelledSlow { queueRequestedProgress(streamID) }
        }
    }

    /// Advances time by one tick; every `progressIntervalTicks` ticks each
    /// synced watcher that asked for progress notifications gets one.
    public mutating func onTick() {
        ticks += 1
        guard ticks % limits.progressIntervalTicks == 0 else { return }
        for streamID in streams.keys {
            var stream = streams[streamID]!
            for (id, watcher) in stream.watchers.sorted(by: { $0.key < $1.key })
            where watcher.request.progressNotify && watcher.synced {
                stream.queue.append(.control(WatchResponse(revision: currentRevision, watchID: id)))
            }
            streams[streamID] = stream
        }
    }

    /// After a snapshot replaced the store: the hub moves to its revision
    /// and every watcher that had not seen it all catches up from history
    /// (or is cancelled as compacted when `takeResponses` finds its
    /// revisions gone).
    public mutating func onRestored(store: MVCCStore) {
        currentRevision = store.currentRevision
        for streamID in streams.keys {
            for id in streams[streamID]!.watchers.keys where streams[streamID]!.watchers[id]!.nextRevision <= currentRevision {
                streams[streamID]!.watchers[id]!.synced = false
            }
        }
    }

    // MARK: - Draining

    /// Takes what a stream should send next, in order: first unsynced
    /// watchers with room in their queue replay missed revisions from
    /// `store` (whole revisions, up to the pending limit), then up to
    /// `maxEntries` queue entries become responses (events of a watcher
    /// that asked to fragment are split at `responseBytesMax`, even when
    /// the watcher was cancelled as compacted after they were queued; the
    /// fragments of one entry are returned together).
    /// - Precondition: `store` has applied at least `currentRevision`.
    public mutating func takeResponses(stream streamID: Int64, store: MVCCStore, maxEntries: Int = .max) -> [WatchResponse] {
        precondition(store.currentRevision >= currentRevision, "the hub is ahead of the store")
        guard streams[streamID] != nil else { return [] }
        catchUp(streamID, store: store)
        queueRequestedProgress(streamID)
        var stream = streams[streamID]!
        let count = min(maxEntries, stream.queue.count)
        var responses: [WatchResponse] = []
        for entry in stream.queue.prefix(count) {
            switch entry {
            case .control(let response):
                responses.append(response)
            case .events(let id, let revision, let events, let fragment):
                responses.append(contentsOf: Self.responses(id: id, revision: revision, events: events, fragment: fragment, bytesMax: limits.responseBytesMax))
                stream.watchers[id]?.queuedEvents -= events.count
            }
        }
        stream.queue.removeFirst(count)
        streams[streamID] = stream
        return responses
    }

    private mutating func catchUp(_ streamID: Int64, store: MVCCStore) {
        var stream = streams[streamID]!
        for id in stream.watchers.keys.sorted() {
            var watcher = stream.watchers[id]!
            guard !watcher.synced, watcher.queuedEvents < limits.pendingEventsMax else { continue }
            if store.compactedRevision > 0 && watcher.nextRevision <= store.compactedRevision {
                stream.watchers[id] = nil
                stream.queue.append(.control(compacted(id, store: store)))
                continue
            }
            let first = bug == .catchUpSkipsARevision ? watcher.nextRevision + 1 : watcher.nextRevision
            let history = Self.select(
                store.events(key: watcher.request.key, rangeEnd: watcher.request.rangeEnd, revisions: first...max(first, currentRevision))
                    .filter { $0.revision <= currentRevision },
                for: watcher.request)
            // Whole revisions only, up to the room left (at least one
            // revision when the queue is empty, so a huge revision passes).
            let room = limits.pendingEventsMax - watcher.queuedEvents
            var end = 0
            var through = currentRevision
            while end < history.count {
                let revision = history[end].revision
                var next = end
                while next < history.count && history[next].revision == revision { next += 1 }
                if next > room && !(end == 0 && watcher.queuedEvents == 0) {
                    through = revision - 1
                    break
                }
                end = next
                if end >= room {
                    through = end < history.count ? history[end].revision - 1 : currentRevision
                    break
                }
            }
            if end > 0 {
                stream.queue.append(.events(watchID: id, revision: currentRevision, events: Array(history[0..<end]), fragment: watcher.request.fragment))
                watcher.queuedEvents += end
            }
            watcher.nextRevision = through + 1
            watcher.synced = watcher.nextRevision > currentRevision
            if watcher.synced { watcher.fellBehind = false }
            stream.watchers[id] = watcher
        }
        streams[streamID] = stream
    }

    private mutating func queueRequestedProgress(_ streamID: Int64) {
        guard var stream = streams[streamID], stream.progressRequested,
            stream.watchers.values.allSatisfy(\.synced)
        else { return }
        stream.progressRequested = false
        stream.queue.append(.control(WatchResponse(revision: currentRevision, watchID: -1)))
        streams[streamID] = stream
    }

    private func refusal(_ error: WatchError) -> WatchResponse {
        WatchResponse(revision: currentRevision, watchID: -1, created: true, canceled: true, cancelReason: error.message)
    }

    /// The cancellation of a watcher whose consumer fell too far behind:
    /// every event before `resumeRevision` was queued before it, so a client
    /// that watches again from there misses nothing.
    private func tooSlow(_ id: Int64, resumeRevision: Int64) -> WatchResponse {
        WatchResponse(
            revision: currentRevision, watchID: id, canceled: true,
            cancelReason:
                "concord: watcher canceled: its consumer fell more than \(limits.slowWatcherRevisionsMax) revisions behind;"
                + " watch again from revision \(resumeRevision)")
    }

    /// The cancellation of a watcher whose history was compacted. Its
    /// `compactRevision` is the first revision a watcher may start from (the
    /// compacted revision + 1): a client that resumes from it, as etcd asks,
    /// is served every event from there.
    private func compacted(_ id: Int64, store: MVCCStore) -> WatchResponse {
        WatchResponse(
            revision: currentRevision, watchID: id, canceled: true, compactRevision: store.compactedRevision + 1,
            cancelReason: KVError.compacted.message)
    }

    static func select(_ events: [WatchEvent], for request: WatchCreateRequest) -> [WatchEvent] {
        var selected: [WatchEvent] = []
        for var event in events where request.selects(event.kv.key) {
            if request.noPut && event.kind == .put { continue }
            if request.noDelete && event.kind == .delete { continue }
            if !request.prevKV { event.prevKV = nil }
            selected.append(event)
        }
        return selected
    }

    static func responses(id: Int64, revision: Int64, events: [WatchEvent], fragment: Bool, bytesMax: Int) -> [WatchResponse] {
        guard fragment else { return [WatchResponse(revision: revision, watchID: id, events: events)] }
        var responses: [WatchResponse] = []
        var chunk: [WatchEvent] = []
        var bytes = 0
        for event in events {
            if !chunk.isEmpty && bytes + event.estimatedBytes > bytesMax {
                responses.append(WatchResponse(revision: revision, watchID: id, fragment: true, events: chunk))
                chunk = []
                bytes = 0
            }
            chunk.append(event)
            bytes += event.estimatedBytes
        }
        responses.append(WatchResponse(revision: revision, watchID: id, events: chunk))
        return responses
    }
}
