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
    private var choice: RaftLabServerChoice
    /// Values this client saw or wrote, for plausible cas arguments.
    private var lastSeen: [String: String?] = [:]
    /// Answers the store refused with an error, which no operation of the
    /// lab should get.
    private(set) var refusals: [String] = []

    init(id: NodeID, settings: RaftLabSettings, context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        self.id = id
        self.settings = settings
        choice = RaftLabServerChoice(servers: settings.servers, random: &context.random)
        scheduleThink(&context)
    }

    var isIdle: Bool { current == nil }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
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

    mutating func onMessage(_ message: MVCCLabMessage, from: NodeID, context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        guard case .response(let answered, let response) = message, let (request, index) = current,
            answered == request.sequence
        else { return }
        switch response {
        case .notLeader(let hint):
            choice.notLeader(from, hint: hint)
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
        let (key, operation) = RaftLabWorkload.nextOperation(
            client: id, sequence: sequence, settings: settings, lastSeen: lastSeen, context: &context)
        let request = MVCCLabRequest(clientID: UInt64(id), sequence: sequence, body: operation.request)
        let index = history.invoke(process: id, operation, at: context.trueTime)
        current = (request, index)
        if case .put(_, let written) = operation { lastSeen[key] = written }
        send(&context)
    }

    private mutating func send(_ context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        guard let (request, _) = current else { return }
        context.send(.request(request), to: choice.target)
        choice.requestSent()
        context.setTimer(Self.retryTimer, after: settings.requestTimeout)
    }

    private func scheduleThink(_ context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        let pause = context.random.next(in: 0...settings.thinkTimeMax.nanoseconds)
        context.setTimer(Self.thinkTimer, after: .nanoseconds(pause))
    }
}
