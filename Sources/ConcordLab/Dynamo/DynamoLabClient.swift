import ConcordClocks
import ConcordDynamo
import ConcordSimulation

/// A simulated client of the store. In workload mode it issues random
/// operations one at a time (keys, mix and consistency from the run's
/// settings) to a random member or its home member; in script mode it only
/// issues what the driver tells it. Either way it keeps its session token
/// (when sessions are on), the context of its last read of each key, every
/// value it has seen, and a history of what happened.
struct DynamoLabClient {
    static let thinkTimer = TimerID(10)
    static let timeoutTimer = TimerID(11)

    let id: NodeID
    let index: Int
    let settings: DynamoLabSettings
    let scripted: Bool
    var generation = 0
    var token: SessionToken?
    var sequence = 0
    var current: (number: UInt64, record: Int)?
    var records: [DynamoLabRecord] = []
    /// The context and values of the last read of each key.
    var lastRead: [String: (context: VersionVector, values: Set<String>)] = [:]
    /// Every value seen of each key (reads, write replies, own writes).
    var observed: [String: Set<String>] = [:]

    var process: Int { index + generation * settings.clients.count }

    init(id: NodeID, index: Int, settings: DynamoLabSettings, scripted: Bool, context: inout DynamoLabContext) {
        self.id = id
        self.index = index
        self.settings = settings
        self.scripted = scripted
        token = settings.sessions ? SessionToken() : nil
        if !scripted { scheduleNext(&context) }
    }

    var isIdle: Bool { current == nil }

    mutating func onMessage(_ message: DynamoLabMessage, from: NodeID, context: inout DynamoLabContext) {
        guard case .reply(let reply) = message, let current, reply.id == current.number else { return }
        context.cancelTimer(Self.timeoutTimer)
        if let session = reply.session, token != nil { token = session }
        let key = records[current.record].operation.key
        var outcome = DynamoLabRecord.Outcome.ok
        var result: DynamoLabResult?
        switch reply.outcome {
        case .read(let value, let readContext):
            result = Self.result(of: value)
            let values = value.values.map(\.text)
            lastRead[key] = (readContext, Set(values))
            observed[key, default: []].formUnion(values)
        case .written(let value, _):
            let values = value.values.map(\.text)
            observed[key, default: []].formUnion(values)
            result = .written(values)
            if case .counter(let total) = value { result = .counter(total) }
        case .conditionNotMet, .keys:
            result = .notWritten
        case .failed(let error):
            outcome = records[current.record].operation.action.isWrite && !error.isDefinite ? .info : .fail
        }
        finish(outcome, result, note: DynamoLabActors.describe(reply.outcome), context: &context)
    }

    mutating func onTimer(_ timer: TimerID, context: inout DynamoLabContext) {
        switch timer {
        case Self.thinkTimer:
            startRandomOperation(&context)
        case Self.timeoutTimer:
            guard let current else { return }
            let isWrite = records[current.record].operation.action.isWrite
            finish(isWrite ? .info : .fail, nil, note: "no answer", context: &context)
        default:
            break
        }
    }

    static func result(of value: ReadValue) -> DynamoLabResult {
        switch value {
        case .absent: .values([], deleted: false)
        case .siblings(let values, let deleted): .values(values.map(\.text), deleted: deleted)
        case .value(let value): .values([value.text], deleted: false)
        case .counter(let total): .counter(total)
        case .set(let elements): .set(elements.map(\.text))
        default: .values(value.values.map(\.text), deleted: false)
        }
    }

    // MARK: Issuing

    /// Issues one operation now (script mode, or the workload's next).
    mutating func issue(
        key: String, action: DynamoLabAction, consistency: RequestConsistency, to target: NodeID,
        writeContext: WriteContext? = nil, mode: VersioningMode = .siblings, context: inout DynamoLabContext
    ) {
        precondition(current == nil, "one operation at a time")
        var known: Set<String> = []
        var requestContext = WriteContext.none
        if let writeContext {
            requestContext = writeContext
            if case .provided = writeContext { known = lastRead[key]?.values ?? [] }
        }
        if token != nil { known.formUnion(observed[key] ?? []) }
        let operation: ClientOperation
        switch action {
        case .get: operation = .get
        case .put(let value): operation = .put(ByteString(value), context: requestContext, mode: mode)
        case .delete: operation = .delete(context: requestContext)
        case .increment(let amount): operation = .update(.increment(amount))
        case .add(let element): operation = .update(.addToSet([ByteString(element)]))
        case .remove(let element): operation = .update(.removeFromSet([ByteString(element)]))
        }
        sequence += 1
        let number = UInt64(sequence)
        let request = ClientRequest(id: number, key: ByteString(key), operation: operation, consistency: consistency, session: token)
        records.append(DynamoLabRecord(
            process: process, client: index,
            operation: DynamoLabOperation(key: key, action: action, consistency: consistency, known: known, target: target),
            invoked: context.trueTime, completed: nil, outcome: .info, result: nil))
        current = (number, records.count - 1)
        context.send(.request(request), to: target)
        context.setTimer(Self.timeoutTimer, after: settings.clientTimeout)
    }

    /// The next value this client writes to `key`: its Lamport number
    /// exceeds that of every value the client has seen of any key, so that
    /// the numbers extend the causal order even where it runs through
    /// other keys (causal mode).
    mutating func nextValue(for key: String) -> String {
        let lamport = observed.values.flatMap { $0.map(DynamoLabValue.lamport) }.max() ?? 0
        return DynamoLabValue.make(lamport: lamport + 1, client: index, sequence: sequence + 1)
    }

    private mutating func finish(
        _ outcome: DynamoLabRecord.Outcome, _ result: DynamoLabResult?, note: String, context: inout DynamoLabContext
    ) {
        guard let current else { return }
        records[current.record].completed = context.trueTime
        records[current.record].outcome = outcome
        records[current.record].result = result
        let operation = records[current.record].operation
        context.log("c\(index) p\(records[current.record].process) \(operation.key) \(operation.action) via n\(operation.target) → \(note)")
        if outcome == .info { generation += 1 }
        self.current = nil
        if !scripted { scheduleNext(&context) }
    }

    private func scheduleNext(_ context: inout DynamoLabContext) {
        let think = context.random.next(in: 0...settings.thinkTimeMax.nanoseconds)
        context.setTimer(Self.thinkTimer, after: .nanoseconds(think))
    }

    private mutating func startRandomOperation(_ context: inout DynamoLabContext) {
        guard current == nil, context.trueTime < settings.clientsStopAt else { return }
        let workload = settings.workload
        let keyChoice = context.random.index(below: workload.registerKeys.count + workload.counterKeys.count + workload.setKeys.count)
        let consistency = settings.consistencies[context.random.index(below: settings.consistencies.count)]
        let choices = settings.homes(of: index)
        let target = choices[context.random.index(below: choices.count)]
        if keyChoice < workload.registerKeys.count {
            let key = workload.registerKeys[keyChoice]
            let draw = Int(context.random.next(below: 100))
            let deletes = workload.deletes && Int(context.random.next(below: 100)) < workload.deletePercent
            if draw >= workload.writePercent {
                issue(key: key, action: .get, consistency: consistency, to: target, context: &context)
            } else if !deletes {
                let useContext = lastRead[key] != nil && context.random.chance(perMillion: 700_000)
                let writeContext: WriteContext = useContext ? .provided(lastRead[key]!.context) : .none
                issue(key: key, action: .put(nextValue(for: key)), consistency: consistency, to: target,
                      writeContext: writeContext, mode: workload.mode, context: &context)
            } else if let read = lastRead[key] {
                // A deletion of what the client read: one made blind would
                // supersede nothing.
                issue(key: key, action: .delete, consistency: consistency, to: target, writeContext: .provided(read.context), context: &context)
            } else {
                issue(key: key, action: .get, consistency: consistency, to: target, context: &context)
            }
        } else if keyChoice < workload.registerKeys.count + workload.counterKeys.count {
            let key = workload.counterKeys[keyChoice - workload.registerKeys.count]
            if context.random.chance(perMillion: 400_000) {
                issue(key: key, action: .get, consistency: consistency, to: target, context: &context)
            } else {
                let amount = Int64(1 + context.random.next(below: 3))
                issue(key: key, action: .increment(amount), consistency: consistency, to: target, context: &context)
            }
        } else {
            let key = workload.setKeys[keyChoice - workload.registerKeys.count - workload.counterKeys.count]
            let element = "e\(context.random.next(below: 4))"
            let draw = context.random.next(below: 100)
            let action: DynamoLabAction = draw < 40 ? .get : draw < 80 ? .add(element) : .remove(element)
            issue(key: key, action: action, consistency: consistency, to: target, context: &context)
        }
    }
}
