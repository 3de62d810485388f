import ConcordKV
import ConcordRaft
import ConcordSimulation

/// A simulated etcd-style client of the MVCC lab. It issues one operation at
/// a time (get, put, delete, or a compare-and-swap transaction), records it
/// in a history on true time for the checker, and retries an unanswered
/// operation with the same session and sequence number on another server
/// until it is answered.
struct MVCCKVClient {
    static let thinkTimer = TimerID(1)
    static let retryTimer = TimerID(2)

    let id: NodeID
    let settings: RaftLabSettings
    private(set) var history = HistoryRecorder<MVCCLabOperation, MVCCLabAnswer>()
    private var sequence: UInt64 = 0
    private var current: (request: MVCCLabRequest, operationIndex: Int)?
    private var target: NodeID
    /// Values this client saw or wrote, for plausible cas arguments.
    private var lastSeen: [String: String?] = [:]
    /// True when the retry timer was armed as a timeout (no answer came).
    private var retryRotates = true
    /// Answers the store refused with an error, which no operation of the
    /// lab should get.
    private(set) var refusals: [String] = []

    init(id: NodeID, settings: RaftLabSettings, context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        self.id = id
        self.settings = settings
        target = settings.servers[context.random.index(below: settings.servers.count)]
        scheduleThink(&context)
    }

    var isIdle: Bool { current == nil }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
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

    mutating func onMessage(_ message: MVCCLabMessage, from: NodeID, context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        guard case .response(let answered, let response) = message, let (request, index) = current,
            answered == request.sequence
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
        case .answer(let answer):
            context.cancelTimer(Self.retryTimer)
            current = nil
            let operation = history.operation(index)
            switch answer {
            case .written(succeeded: false):
                history.complete(index, .fail, at: context.trueTime)
            case .written(succeeded: true):
                history.complete(index, .ok(answer), at: context.trueTime)
            case .value(let value):
                lastSeen[operation.key] = value
                history.complete(index, .ok(answer), at: context.trueTime)
            case .refused(let error):
                // A refused write did not happen; a refused read saw nothing.
                refusals.append("c\(id) \(operation): \(error)")
                history.complete(index, .fail, at: context.trueTime)
            }
            scheduleThink(&context)
        }
    }

    private mutating func issue(_ context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        guard current == nil, context.trueTime < settings.clientsStopAt else { return }
        sequence += 1
        let key = settings.keys[context.random.index(below: settings.keys.count)]
        let value = "\(id)-\(sequence)"
        let operation: MVCCLabOperation
        switch context.random.next(below: 100) {
        case 0..<40: operation = .get(key: key)
        case 40..<70: operation = .put(key: key, value: value)
        case 70..<80: operation = .delete(key: key)
        default:
            let expected = context.random.chance(perMillion: 200_000) ? nil : (lastSeen[key] ?? nil)
            operation = .cas(key: key, expected: expected, value: value)
        }
        let request = MVCCLabRequest(clientID: UInt64(id), sequence: sequence, body: operation.request)
        let index = history.invoke(process: id, operation, at: context.trueTime)
        current = (request, index)
        if case .put(_, let written) = operation { lastSeen[key] = written }
        send(&context)
    }

    private mutating func send(_ context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        guard let (request, _) = current else { return }
        context.send(.request(request), to: target)
        retryRotates = true
        context.setTimer(Self.retryTimer, after: settings.requestTimeout)
    }

    private func nextServer(after server: NodeID) -> NodeID {
        let position = settings.servers.firstIndex(of: server) ?? 0
        return settings.servers[(position + 1) % settings.servers.count]
    }

    private func scheduleThink(_ context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        let pause = context.random.next(in: 0...settings.thinkTimeMax.nanoseconds)
        context.setTimer(Self.thinkTimer, after: .nanoseconds(pause))
    }
}
