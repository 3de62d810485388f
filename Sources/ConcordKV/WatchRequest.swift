/// etcd's `WatchCreateRequest`: what one watcher wants to see.
public struct WatchCreateRequest: Sendable, Hashable {
    /// The key, or the start of the range. Empty means `[0]`, the smallest
    /// key, as in etcd.
    public var key: [UInt8]
    /// Empty for the single key `key`; `[0]` for every key from `key` on;
    /// otherwise the end (exclusive) of the range.
    public var rangeEnd: [UInt8]
    /// The first revision to send; 0 for "from the next revision on".
    public var startRevision: Int64
    /// Ask for periodic progress notifications while nothing changes.
    public var progressNotify: Bool
    /// Leave out put events (etcd's `NOPUT` filter).
    public var noPut: Bool
    /// Leave out delete events (etcd's `NODELETE` filter).
    public var noDelete: Bool
    /// Send each event's previous key-value.
    public var prevKV: Bool
    /// The watch ID the client chose, or 0 to let the server assign one.
    public var watchID: Int64
    /// Split responses larger than `WatchLimits.responseBytesMax`.
    public var fragment: Bool

    /// Creates a request.
    public init(
        key: [UInt8], rangeEnd: [UInt8] = [], startRevision: Int64 = 0, progressNotify: Bool = false,
        noPut: Bool = false, noDelete: Bool = false, prevKV: Bool = false, watchID: Int64 = 0, fragment: Bool = false
    ) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.startRevision = startRevision
        self.progressNotify = progressNotify
        self.noPut = noPut
        self.noDelete = noDelete
        self.prevKV = prevKV
        self.watchID = watchID
        self.fragment = fragment
    }

    /// Whether `key` falls in the watched key or range.
    public func selects(_ candidate: [UInt8]) -> Bool {
        if rangeEnd.isEmpty { return candidate == key }
        if candidate.lexicographicallyPrecedes(key) { return false }
        if rangeEnd == [0] { return true }
        return candidate.lexicographicallyPrecedes(rangeEnd)
    }
}

/// etcd's `WatchResponse`. The server adds the cluster id, member id and
/// Raft term to the header.
public struct WatchResponse: Sendable, Hashable {
    /// The header's revision.
    public var revision: Int64
    /// The watcher the response belongs to; -1 for a stream-wide progress
    /// notification or a refused create.
    public var watchID: Int64
    /// Answers a create request.
    public var created: Bool
    /// The watcher is gone (cancelled, refused or compacted).
    public var canceled: Bool
    /// Non-zero when the watcher was cancelled because its start revision
    /// was compacted: the compacted revision.
    public var compactRevision: Int64
    /// Why a watcher was refused or cancelled, when there is a reason.
    public var cancelReason: String
    /// More fragments of the same batch of events follow.
    public var fragment: Bool
    /// The events, ordered by revision and sub-revision.
    public var events: [WatchEvent]

    /// Creates a response.
    public init(
        revision: Int64, watchID: Int64, created: Bool = false, canceled: Bool = false, compactRevision: Int64 = 0,
        cancelReason: String = "", fragment: Bool = false, events: [WatchEvent] = []
    ) {
        self.revision = revision
        self.watchID = watchID
        self.created = created
        self.canceled = canceled
        self.compactRevision = compactRevision
        self.cancelReason = cancelReason
        self.fragment = fragment
        self.events = events
    }

    /// A progress notification: no events, not a create or cancel.
    public var isProgressNotification: Bool {
        events.isEmpty && !created && !canceled && compactRevision == 0
    }
}

/// Why a watch create request was refused, with etcd's message (sent as
/// the response's `cancelReason`).
public enum WatchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The client chose a watch ID that the stream already uses.
    case duplicateWatchID
    /// The range's end is not after its start.
    case emptyRange
    /// The stream already has `WatchLimits.watchersPerStreamMax` watchers
    /// (Concord's limit; etcd has none, so the message is Concord's).
    case tooManyWatchers(max: Int)

    /// etcd's message, word for word (Concord's own for its own limit).
    public var message: String {
        switch self {
        case .duplicateWatchID: "mvcc: duplicate watch ID provided on the WatchStream"
        case .emptyRange: "mvcc: watcher range is empty"
        case .tooManyWatchers(let max): "concord: too many watchers on this watch stream (at most \(max))"
        }
    }

    /// etcd's message.
    public var description: String { message }
}

/// The watch hub's limits, the same on every node.
public struct WatchLimits: Sendable, Hashable {
    /// The most events queued for one watcher and not yet taken; a watcher
    /// that would exceed it falls back to replay from history.
    public var pendingEventsMax: Int
    /// The largest response (estimated bytes) a fragmenting watcher gets;
    /// etcd's default request size limit.
    public var responseBytesMax: Int
    /// Ticks between periodic progress notifications.
    public var progressIntervalTicks: Int
    /// The most watchers one stream may hold; one more create is refused
    /// with `WatchError.tooManyWatchers`.
    public var watchersPerStreamMax: Int
    /// The most revisions a watcher whose consumer fell behind (its queue
    /// was full when a revision it selects was applied) may lag the store
    /// before it is cancelled. This bounds what a catch-up reads from
    /// history for a slow consumer; a watcher created with a start revision
    /// in the past is not counted until it has caught up once.
    public var slowWatcherRevisionsMax: Int64

    /// Creates limits; the defaults follow etcd (1.5 MiB responses) with a
    /// pending buffer of 1024 events, 10,000 watchers per stream and
    /// 100,000 revisions of lag for a slow consumer.
    public init(
        pendingEventsMax: Int = 1024, responseBytesMax: Int = 1_572_864, progressIntervalTicks: Int = 6_000,
        watchersPerStreamMax: Int = 10_000, slowWatcherRevisionsMax: Int64 = 100_000
    ) {
        precondition(
            pendingEventsMax >= 1 && responseBytesMax >= 1 && progressIntervalTicks >= 1 && watchersPerStreamMax >= 1
                && slowWatcherRevisionsMax >= 1, "watch limits are positive")
        self.pendingEventsMax = pendingEventsMax
        self.responseBytesMax = responseBytesMax
        self.progressIntervalTicks = progressIntervalTicks
        self.watchersPerStreamMax = watchersPerStreamMax
        self.slowWatcherRevisionsMax = slowWatcherRevisionsMax
    }
}
