import ConcordRaft
import ConcordSimulation

/// A simulated client of the key-value lab. It issues one operation at a
/// time, records each in a history on true time for the checker, and retries
/// an unanswered operation with the same session and sequence number on
/// another server until it is answered: the session table makes a retried
/// write take effect once, so every operation ends `ok` (or `fail` for a cas
/// that did not swap), or stays open when the run ends.
struct RaftKVClient {
    static let thinkTimer = TimerID(1)
    static let retryTimer = TimerID(2)

    let id: NodeID
    let settings: RaftLabSettings
    private(set) var history = HistoryRecorder<KVCommand.Operation, KVResult>()
    private var sequence: UInt64 = 0
    private var current: (command: KVCommand, operationIndex: Int)?
    private var choice: RaftLabServerChoice
    /// Values this client saw or wrote, for plausible cas arguments.
    private var lastSeen: [String: String?] = [:]
    /// Requests sent, for the benchmark.
    private(set) var requestsSent = 0

    init(id: NodeID, settings: RaftLabSettings, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        self.id = id
        self.settings = settings
        choice = RaftLabServerChoice(servers: settings.servers, random: &context.random)
        scheduleThink(&context)
    }

    var isIdle: Bool { current == nil }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        switch timer {
        case Self.thinkTimer:
            issue(&context)
        case Self.retryTimer:
            guard current != nil else { return }
            choice.retryDue()
            send(&context)
        default:
            break
        }
    }

    mutating func onMessage(_ message: RaftLabMessage, from: NodeID, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        guard case .response(let answered, let response) = message, let (command, index) = current,
            answered == command.sequence
        else { return }
        switch response {
        case .notLeader(let hint):
            choice.notLeader(from, hint: hint)
            context.setTimer(Self.retryTimer, after: settings.retryBackoff)
        case .result(let result):
            context.cancelTimer(Self.retryTimer)
            current = nil
            switch result {
            case .casMismatch:
                history.complete(index, .fail, at: context.trueTime)
            case .value(let value):
                lastSeen[command.operation.key] = value
                history.complete(index, .ok(result), at: context.trueTime)
            case .done:
                history.complete(index, .ok(result), at: context.trueTime)
            }
            scheduleThink(&context)
        }
    }

    private mutating func issue(_ context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        guard current == nil, context.trueTime < settings.clientsStopAt else { return }
        sequence += 1
        let (key, operation) = RaftLabWorkload.nextOperation(
            client: id, sequence: sequence, settings: settings, lastSeen: lastSeen, context: &context)
        let command = KVCommand(clientID: UInt64(id), sequence: sequence, operation: operation)
        let index = history.invoke(process: id, operation, at: context.trueTime)
        current = (command, index)
        if case .put(_, let written) = operation { lastSeen[key] = written }
        send(&context)
    }

    private mutating func send(_ context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        guard let (command, _) = current else { return }
        requestsSent += 1
        context.send(.request(command), to: choice.target)
        choice.requestSent()
        context.setTimer(Self.retryTimer, after: settings.requestTimeout)
    }

    private func scheduleThink(_ context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        let pause = context.random.next(in: 0...settings.thinkTimeMax.nanoseconds)
        context.setTimer(Self.thinkTimer, after: .nanoseconds(pause))
    }
}
