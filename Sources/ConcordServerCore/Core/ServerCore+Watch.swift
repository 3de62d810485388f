import ConcordKV

/// What a client sends on a watch stream.
public enum WatchStreamRequest: Sendable, Hashable {
    /// Creates a watcher.
    case create(WatchCreateRequest)
    /// Cancels a watcher.
    case cancel(watchID: Int64)
    /// Asks for a progress notification.
    case progress
}

/// Watch streams: the core decides which watcher gets which event (the
/// `WatchHub`); the shell takes each stream's responses when the core names
/// it in `ServerOutput.watchStreamsWithWork`.
extension ServerCore {
    /// Opens a watch stream on this member.
    /// - Returns: its id.
    public mutating func openWatchStream() -> Int64 {
        let id = nextWatchStreamID
        nextWatchStreamID += 1
        watchStreams.insert(id)
        return id
    }

    /// Handles one request of watch stream `stream`.
    /// - Parameter caller: the user the stream's token names; while auth
    ///   is enabled a watcher needs read permission on its range, or the
    ///   create is answered created-and-canceled with etcd's reason.
    /// - Returns: true when the stream has responses to take.
    public mutating func onWatchRequest(stream: Int64, _ request: WatchStreamRequest, caller: AuthCaller? = nil) -> Bool {
        guard watchStreams.contains(stream) else { return false }
        if case .create(let create) = request,
            let refusal = auth.keyRefusal(caller, .read, key: create.key.isEmpty ? [0] : create.key, rangeEnd: create.rangeEnd)
        {
            hub.onRefusedCreate(stream: stream, reason: refusal.grpcErrorText)
            return true
        }
        switch request {
        case .create(let create): _ = hub.onCreate(stream: stream, create, store: state.store)
        case .cancel(let watchID): _ = hub.onCancel(stream: stream, watchID: watchID)
        case .progress: hub.onProgressRequest(stream: stream)
        }
        return true
    }

    /// Refuses a create request whose token this member does not know.
    /// - Returns: true when the stream has responses to take.
    public mutating func refuseWatchCreate(stream: Int64, _ error: AuthError) -> Bool {
        guard watchStreams.contains(stream) else { return false }
        hub.onRefusedCreate(stream: stream, reason: error.grpcErrorText)
        return true
    }

    /// Takes the next responses of stream `stream`.
    /// - Returns: at most `maxResponses` responses, and whether more wait.
    public mutating func takeWatchResponses(stream: Int64, maxResponses: Int) -> (responses: [WatchResponse], moreWaiting: Bool) {
        guard watchStreams.contains(stream) else { return ([], false) }
        let responses = hub.takeResponses(stream: stream, store: state.store, maxEntries: maxResponses)
        return (responses, !responses.isEmpty && watchStreamHasWork(stream))
    }

    /// Forgets watch stream `stream` and its watchers.
    public mutating func closeWatchStream(_ stream: Int64) {
        guard watchStreams.remove(stream) != nil else { return }
        hub.onStreamClosed(stream: stream)
    }

    /// Whether `stream` has queued responses or a watcher catching up.
    func watchStreamHasWork(_ stream: Int64) -> Bool {
        hub.queuedEntryCount(stream: stream) > 0
            || hub.watchIDs(stream: stream).contains { hub.isSynced(stream: stream, watchID: $0) == false }
    }
}
