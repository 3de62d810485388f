import ConcordSimulation

/// A simulated client of a Paxos-family key-value lab. It issues one
/// operation at a time, records each in a history on true time for the
/// checker, and retries an unanswered operation with the same session and
/// sequence number until it is answered (the session table makes a retried
/// write take effect once). It sends each request either to one server at
/// a time (the leader a refusal names, or the next one after a timeout) or,
/// for Fast Paxos, to every server at once.
struct PaxosKVClient<Peer: Sendable & CustomStringConvertible, Durable: Sendable> {
    typealias Context = NodeContext<PaxosLabMessage<Peer>, Durable>

    static var thinkTimer: TimerID { TimerID(1) }
    static var retryTimer: TimerID { TimerID(2) }

    let id: NodeID
    let settings: PaxosLabSettings
    private(set) var history = HistoryRecorder<PaxosLabKVCommand.Operation, PaxosLabKVResult>()
    private var sequence: UInt64 = 0
    private var current: (command: PaxosLabKVCommand, operationIndex: Int)?
    private var choice: PaxosLabServerChoice
    /// Values this client saw or wrote, for plausible cas arguments.
    private var lastSeen: [String: String?] = [:]
    /// Requests sent (a broadcast counts once per server), for measurements.
    private(set) var requestsSent = 0

    init(id: NodeID, settings: PaxosLabSettings, context: inout Context) {
        self.id = id
        self.settings = settings
        choice = PaxosLabServerChoice(servers: settings.servers, random: &context.random)
        scheduleThink(&context)
    }

    var isIdle: Bool { current == nil }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
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

    mutating func onMessage(_ message: PaxosLabMessage<Peer>, from: NodeID, context: inout Context) {
        guard case .response(let answered, let response) = message, let (command, index) = current,
            answered == command.sequence
        else { return }
        switch response {
        case .notLeader(let hint):
            guard !settings.clientsBroadcast else { return }
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

    private mutating func issue(_ context: inout Context) {
        guard current == nil, context.trueTime < settings.clientsStopAt else { return }
        sequence += 1
        let (key, operation) = PaxosLabWorkload.nextOperation(
            client: id, sequence: sequence, keys: settings.keys, lastSeen: lastSeen, random: &context.random)
        let command = PaxosLabKVCommand(clientID: UInt64(id), sequence: sequence, operation: operation)
        let index = history.invoke(process: id, operation, at: context.trueTime)
        current = (command, index)
        if case .put(_, let written) = operation { lastSeen[key] = written }
        send(&context)
    }

    private mutating func send(_ context: inout Context) {
        guard let (command, _) = current else { return }
        if settings.clientsBroadcast {
            for server in settings.servers {
                context.send(.request(command), to: server)
                requestsSent += 1
            }
        } else {
            context.send(.request(command), to: choice.target)
            requestsSent += 1
            choice.requestSent()
        }
        context.setTimer(Self.retryTimer, after: settings.requestTimeout)
    }

    private func scheduleThink(_ context: inout Context) {
        let pause = context.random.next(in: 0...settings.thinkTimeMax.nanoseconds)
        context.setTimer(Self.thinkTimer, after: .nanoseconds(pause))
    }
}
