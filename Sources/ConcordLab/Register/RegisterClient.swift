import ConcordSimulation

/// A simulated client: it issues gets and puts on a few keys, one at a time,
/// to the server it believes is primary, and records what it saw.
///
/// Like a Jepsen client, it treats a request that got no answer in time as
/// indeterminate (`info`) and continues as a new process, since the old one
/// cannot know what state it left behind.
struct RegisterClient {
    static let keys = ["x", "y"]

    let id: NodeID
    /// This client's position among the clients, from 0.
    let index: Int
    let clientCount: Int
    let servers: [NodeID]
    /// No operation starts at or after this local time.
    let stopAt: SimulationInstant
    var target: NodeID
    /// The newest epoch a server told this client about.
    var epoch: UInt64 = 0
    var generation = 0
    var nextNumber: UInt64 = 1
    var current: (request: RegisterRequestID, operation: RegisterOperation, historyIndex: Int)?
    var history = HistoryRecorder<RegisterOperation, String?>()
    /// True times at which operations completed `ok`.
    var completedAt: [SimulationInstant] = []

    /// The process number the checker sees: a fresh one after every `info`.
    var process: Int { index + generation * clientCount }

    init(id: NodeID, index: Int, clientCount: Int, servers: [NodeID], stopAt: SimulationInstant, context: inout RegisterContext) {
        self.id = id
        self.index = index
        self.clientCount = clientCount
        self.servers = servers
        self.stopAt = stopAt
        target = servers[0]
        scheduleNext(&context)
    }

    mutating func onMessage(_ message: RegisterMessage, from: NodeID, context: inout RegisterContext) {
        guard case .reply(let request, let reply) = message, let current, current.request == request else { return }
        context.cancelTimer(RegisterTimings.timeoutTimer)
        switch (reply, current.operation) {
        case (.value(let value), .get):
            finish(.ok(value), note: value.map { "→ \($0)" } ?? "→ absent", context: &context)
        case (.written, .put):
            finish(.ok(nil), note: "→ ok", context: &context)
        case (.notPrimary(let hint, let serverEpoch, let definite), _):
            if definite {
                finish(.fail, note: "→ fail (n\(from) is not primary of epoch \(current.request.epoch))", context: &context)
            } else {
                finish(.info, note: "→ info (n\(from) may yet become primary of epoch \(current.request.epoch))", context: &context)
                generation += 1
            }
            epoch = max(epoch, serverEpoch)
            target = hint ?? otherServer(than: from)
        case (.busy, _):
            finish(.fail, note: "→ fail (busy)", context: &context)
        default:
            preconditionFailure("reply \(reply) does not answer \(current.operation)")
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout RegisterContext) {
        switch timer {
        case RegisterTimings.thinkTimer:
            start(&context)
        case RegisterTimings.timeoutTimer:
            guard current != nil else { return }
            finish(.info, note: "→ info (no answer from n\(target))", context: &context)
            generation += 1
            target = otherServer(than: target)
        default:
            break
        }
    }

    private mutating func start(_ context: inout RegisterContext) {
        guard current == nil, context.now < stopAt else { return }
        let key = Self.keys[context.random.index(below: Self.keys.count)]
        let operation: RegisterOperation
        if context.random.chance(perMillion: 500_000) {
            operation = .get(key: key)
        } else {
            operation = .put(key: key, value: "\(index)-\(nextNumber)")
        }
        let request = RegisterRequestID(client: id, number: nextNumber, epoch: epoch)
        nextNumber += 1
        let historyIndex = history.invoke(process: process, operation, at: context.trueTime)
        current = (request, operation, historyIndex)
        context.send(.request(request, operation), to: target)
        context.setTimer(RegisterTimings.timeoutTimer, after: RegisterTimings.requestTimeout)
    }

    private mutating func finish(_ outcome: HistoryRecorder<RegisterOperation, String?>.Outcome, note: String, context: inout RegisterContext) {
        guard let current else { return }
        history.complete(current.historyIndex, outcome, at: context.trueTime)
        if case .ok = outcome { completedAt.append(context.trueTime) }
        let invoked = history.events.first { $0.operationIndex == current.historyIndex }!.time
        context.log("p\(process) \(current.operation) \(note) (invoked \(invoked))")
        self.current = nil
        var succeeded = false
        if case .ok = outcome { succeeded = true }
        scheduleNext(after: succeeded ? .zero : RegisterTimings.backoff, &context)
    }

    private func scheduleNext(after extra: SimulationDuration = .zero, _ context: inout RegisterContext) {
        let think = context.random.next(in: RegisterTimings.thinkTimeMin.nanoseconds...RegisterTimings.thinkTimeMax.nanoseconds)
        context.setTimer(RegisterTimings.thinkTimer, after: extra + .nanoseconds(think))
    }

    private func otherServer(than server: NodeID) -> NodeID {
        servers.first { $0 != server } ?? servers[0]
    }
}
