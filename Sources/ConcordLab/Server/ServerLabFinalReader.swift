import ConcordKV
import ConcordServerCore
import ConcordSimulation
import ConcordStorage

/// After healing, reads every key of the workload linearizably (recorded in
/// the history, so a lost acknowledged write shows as a violation) and
/// lists the lease keys still present, retrying through random members
/// until each read is answered.
struct ServerLabFinalReader {
    static let startTimer = TimerID(1)
    static let timeoutTimer = TimerID(2)
    static let nextTimer = TimerID(3)

    typealias Context = NodeContext<ServerLabMessage, Storage.SimulatedFileSystem>

    let id: NodeID
    let settings: ServerLabSettings
    private(set) var history = HistoryRecorder<ServerLabOperation, String?>()
    /// The lease keys present, with the read's invocation and completion (ns).
    private(set) var leaseKeys: (keys: Set<String>, invokedAt: Int64, completedAt: Int64)?
    private var queue: [String]
    private var number: UInt64 = 0
    /// The server the next read goes to: the reader moves on to the next
    /// one after every unanswered read.
    private var target = 0
    private var open: (index: Int?, key: String, invokedAt: Int64)?

    /// The key that stands for the listing of lease keys.
    static let leasePrefix = "lease/"

    init(id: NodeID, settings: ServerLabSettings, startAt: SimulationInstant, context: inout Context) {
        self.id = id
        self.settings = settings
        queue = settings.keys + [Self.leasePrefix]
        target = context.random.index(below: settings.servers.count)
        context.setTimer(Self.startTimer, after: startAt - context.trueTime)
    }

    /// True once every key was read.
    var isDone: Bool { queue.isEmpty && open == nil }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        switch timer {
        case Self.startTimer, Self.nextTimer: readNext(&context)
        case Self.timeoutTimer:
            guard let current = open else { return }
            if let index = current.index { history.complete(index, .fail, at: context.trueTime) }
            open = nil
            queue.insert(current.key, at: 0)
            target += 1
            scheduleNext(&context)
        default: break
        }
    }

    mutating func onMessage(_ message: ServerLabMessage, from: NodeID, context: inout Context) {
        guard case .reply(let answered, let reply) = message, answered == number, let current = open else { return }
        context.cancelTimer(Self.timeoutTimer)
        open = nil
        switch reply.result {
        case .success(.range(let response)):
            if let index = current.index {
                history.complete(index, .ok(response.kvs.first.map { ServerLabDescription.text($0.value) }), at: context.trueTime)
            } else {
                leaseKeys = (Set(response.kvs.map { ServerLabDescription.text($0.key) }), current.invokedAt, context.trueTime.nanoseconds)
            }
        default:
            if let index = current.index { history.complete(index, .fail, at: context.trueTime) }
            queue.insert(current.key, at: 0)
            target += 1
        }
        scheduleNext(&context)
    }

    /// The next read goes a little later, so that it follows this one's
    /// completion in the merged history.
    private func scheduleNext(_ context: inout Context) {
        context.setTimer(Self.nextTimer, after: .microseconds(10))
    }

    private mutating func readNext(_ context: inout Context) {
        guard open == nil, let key = queue.first else { return }
        queue.removeFirst()
        number += 1
        let request: ClientRequest
        var index: Int?
        if key == Self.leasePrefix {
            let prefix = Array(key.utf8)
            request = .range(RangeRequest(key: prefix, rangeEnd: RangeRequest.prefixEnd(prefix)))
        } else {
            request = .range(RangeRequest(key: Array(key.utf8)))
            index = history.invoke(process: id * 10_000, ServerLabOperation(function: .get, key: key), at: context.trueTime)
        }
        open = (index, key, context.trueTime.nanoseconds)
        let servers = settings.servers
        context.send(.request(number, request), to: servers[target % servers.count])
        context.setTimer(Self.timeoutTimer, after: .milliseconds(400))
    }
}
