import ConcordChecker
import ConcordKV
import ConcordServerCore
import ConcordSimulation
import ConcordStorage

/// A simulated client that watches every key of the workload from
/// revision 1, as an etcd client would: on one member at a time, asking for
/// a progress notification now and then; when its member stops answering
/// (it crashed, or is cut off), it resumes the watch on another member from
/// the revision after the last one it has, and when that revision was
/// compacted away it takes the member's cancellation and resumes from the
/// compaction revision. What it receives goes to `WatchStreamCheck`.
struct ServerLabWatcher {
    static let progressTimer = TimerID(1)

    typealias Context = NodeContext<ServerLabMessage, Storage.SimulatedFileSystem>

    /// How often the watcher asks for progress.
    static let progressInterval = SimulationDuration.milliseconds(200)
    /// Unanswered progress requests before the watcher resumes elsewhere.
    static let silentProgressMax = 3

    let id: NodeID
    let settings: ServerLabSettings
    private(set) var stream: WatchStreamCheck.Stream
    private var tag: UInt64 = 0
    private var server: NodeID
    private var requestedFrom: Int64 = 1
    private var unanswered = 0
    /// The number of the last message taken from the current stream.
    private var received: UInt64 = 0
    /// The last revision the watcher has every event up to.
    private var through: Int64 = 0

    init(id: NodeID, settings: ServerLabSettings, context: inout Context) {
        self.id = id
        self.settings = settings
        stream = WatchStreamCheck.Stream(name: "watcher c\(id)", startRevision: 1)
        server = settings.founders[context.random.index(below: settings.founders.count)]
        open(from: 1, &context)
        context.setTimer(Self.progressTimer, after: Self.progressInterval)
    }

    private mutating func open(from revision: Int64, _ context: inout Context) {
        tag += 1
        requestedFrom = revision
        unanswered = 0
        received = 0
        let create = WatchCreateRequest(key: Array("k".utf8), rangeEnd: Array("l".utf8), startRevision: revision)
        context.send(.watchCreate(tag: tag, create), to: server)
    }

    private mutating func resumeElsewhere(_ context: inout Context) {
        let servers = settings.servers
        server = servers[context.random.index(below: servers.count)]
        open(from: through + 1, &context)
    }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        guard timer == Self.progressTimer else { return }
        context.setTimer(Self.progressTimer, after: Self.progressInterval)
        unanswered += 1
        if unanswered > Self.silentProgressMax {
            resumeElsewhere(&context)
        } else {
            context.send(.watchProgress(tag: tag), to: server)
        }
    }

    mutating func onMessage(_ message: ServerLabMessage, from: NodeID, context: inout Context) {
        switch message {
        case .watchUnknown(let answered) where answered == tag && from == server:
            resumeElsewhere(&context)
        case .watchResponses(let answered, let sequence, let responses) where answered == tag && from == server:
            if sequence <= received { return }
            guard sequence == received + 1 else {
                // A message of the stream was lost: the stream is broken.
                return resumeElsewhere(&context)
            }
            received = sequence
            unanswered = 0
            for response in responses { take(response, &context) }
        default:
            break
        }
    }

    private mutating func take(_ response: WatchResponse, _ context: inout Context) {
        if response.canceled {
            if response.compactRevision > 0 {
                if response.compactRevision <= requestedFrom {
                    stream.badCancellations.append(
                        "cancelled at compaction revision \(response.compactRevision) for a watch from \(requestedFrom)")
                    return
                }
                stream.compacted.append(requestedFrom..<response.compactRevision)
                through = max(through, response.compactRevision - 1)
                open(from: response.compactRevision, &context)
            } else {
                resumeElsewhere(&context)
            }
            return
        }
        for event in response.events {
            stream.events.append(
                WatchStreamCheck.Event(
                    revision: event.revision, key: ServerLabDescription.text(event.kv.key), isDelete: event.kind == .delete,
                    value: ServerLabDescription.text(event.kv.value)))
            through = max(through, event.revision)
        }
        if response.isProgressNotification {
            // A progress notification: every event up to its revision has come.
            through = max(through, response.revision)
        }
        stream.coveredThrough = through
    }
}
