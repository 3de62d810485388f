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
    private var target: NodeID
    /// Values this client saw or wrote, for plausible cas arguments.
    private var lastSeen: [String: String?] = [:]
    /// True when the retry timer was armed as a timeout (no answer came), so
    /// the next attempt goes to another server; false after a "not leader"
    /// answer already chose the next server.
    private var retryRotates = true
    /// Requests sent, for the benchmark.
    private(set) var requestsSent = 0

    init(id: NodeID, settings: RaftLabSettings, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        self.id = id
        self.settings = settings
        target = settings.servers[context.random.index(below: settings.servers.count)]
        scheduleThink(&context)
    }

    var isIdle: Bool { current == nil }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        switch timer {
        case Self.thinkTimer:
            issue(&context)
        case Self.retryTimer:
            guard current != nil else { return }
            if retryRotates {
                target = nextServer(after: target)
            }
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
            if let hint, settings.servers.contains(hint), hint != from {
                target = hint
            } else {
                target = nextServer(after: from)
            }
            retryRotates = false
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
        let key = settings.keys[context.random.index(below: settings.keys.count)]
        let value = "\(id)-\(sequence)"
        let operation: KVCommand.Operation
        let draw = context.random.next(below: 100)
        switch draw {
        case 0..<40: operation = .get(key: key)
        case 40..<70: operation = .put(key: key, value: value)
        case 70..<80: operation = .delete(key: key)
        default:
            let expected = context.random.chance(perMillion: 200_000) ? nil : (lastSeen[key] ?? nil)
            operation = .cas(key: key, expected: expected, value: value)
        }
        let command = KVCommand(clientID: UInt64(id), sequence: sequence, operation: operation)
        let index = history.invoke(process: id, operation, at: context.trueTime)
        current = (command, index)
        if case .put(_, let written) = operation { lastSeen[key] = written }
        send(&context)
    }

    private mutating func send(_ context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        guard let (command, _) = current else { return }
        requestsSent += 1
        context.send(.request(command), to: target)
        retryRotates = true
        context.setTimer(Self.retryTimer, after: settings.requestTimeout)
    }

    private func nextServer(after server: NodeID) -> NodeID {
        let position = settings.servers.firstIndex(of: server) ?? 0
        return settings.servers[(position + 1) % settings.servers.count]
    }

    private func scheduleThink(_ context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        let pause = context.random.next(in: 0...settings.thinkTimeMax.nanoseconds)
        context.setTimer(Self.thinkTimer, after: .nanoseconds(pause))
    }
}
