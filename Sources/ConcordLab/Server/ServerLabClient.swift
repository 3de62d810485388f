import ConcordChecker
import ConcordKV
import ConcordServerCore
import ConcordSimulation
import ConcordStorage

/// An operation of the linearizable key-value workload, in the checker's terms.
struct ServerLabOperation: Sendable, Hashable {
    var function: HistoryEvent.Function
    var key: String
    var value: String?
    var expected: String?
}

/// A write a client saw acknowledged, with the revision it created: what
/// every watcher of the key must have seen.
struct ServerLabWrite: Sendable, Hashable {
    var key: String
    var revision: Int64
    var isDelete: Bool
    var value: String
}

/// A simulated etcd client of the key-value workload. It issues one
/// operation at a time to a random server (any member answers: followers
/// forward proposals and reads go through ReadIndex): linearizable gets,
/// puts, deletes and compare-and-swap transactions, recorded in a history
/// on true time for the linearizability checker; serializable gets and
/// compactions, which the checker does not judge, exercise those paths.
///
/// A write that times out may have happened: it is recorded as `info`, and
/// the client goes on as a new process, as Jepsen's clients do. A server
/// never retries a client's write on its own; the client does not either.
struct ServerLabClient {
    static let thinkTimer = TimerID(1)
    static let timeoutTimer = TimerID(2)

    typealias Context = NodeContext<ServerLabMessage, Storage.SimulatedFileSystem>

    enum Pending {
        /// An operation the checker judges, at this index of the history.
        case recorded(index: Int, ServerLabOperation)
        /// A serializable read or a compaction.
        case unrecorded
    }

    let id: NodeID
    let settings: ServerLabSettings
    private(set) var history = HistoryRecorder<ServerLabOperation, String?>()
    /// Writes acknowledged with their revisions.
    private(set) var acknowledged: [ServerLabWrite] = []
    /// With `settings.readsServedLocally`: every answered operation in the
    /// client's order, with the revision it was served at.
    private(set) var observations: [SequentialWitness.Observation] = []
    /// Errors no operation of the workload should get.
    private(set) var unexpected: [String] = []
    private var number: UInt64 = 0
    private var pending: Pending?
    private var generation = 0
    private var lastSeen: [String: String?] = [:]
    private var highestRevision: Int64 = 0

    init(id: NodeID, settings: ServerLabSettings, context: inout Context) {
        self.id = id
        self.settings = settings
        scheduleThink(&context)
    }

    var isIdle: Bool { pending == nil }
    private var process: Int { id * 10_000 + generation }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        switch timer {
        case Self.thinkTimer: issue(&context)
        case Self.timeoutTimer: timedOut(&context)
        default: break
        }
    }

    mutating func onMessage(_ message: ServerLabMessage, from: NodeID, context: inout Context) {
        guard case .reply(let answered, let reply) = message, answered == number, let current = pending else { return }
        context.cancelTimer(Self.timeoutTimer)
        pending = nil
        highestRevision = max(highestRevision, reply.revision)
        if case .recorded(let index, let operation) = current {
            record(index, operation, reply, &context)
        }
        scheduleThink(&context)
    }

    private mutating func record(_ index: Int, _ operation: ServerLabOperation, _ reply: ServerReply, _ context: inout Context) {
        switch reply.result {
        case .success(.range(let response)):
            let value = response.kvs.first.map { ServerLabDescription.text($0.value) }
            lastSeen[operation.key] = value
            observe(operation, .read(value), revision: response.header.revision)
            history.complete(index, .ok(value), at: context.trueTime)
        case .success(.kv(let result)):
            var written = true
            switch result {
            case .deleteRange(let response): written = response.deleted > 0
            case .txn(let response): written = response.succeeded
            default: break
            }
            observe(operation, written ? .wrote : .changedNothing, revision: result.header.revision)
            if operation.function == .cas && !written {
                history.complete(index, .fail, at: context.trueTime)
                return
            }
            history.complete(index, .ok(nil), at: context.trueTime)
            if operation.function != .delete { lastSeen[operation.key] = operation.value }
            if written {
                acknowledged.append(
                    ServerLabWrite(
                        key: operation.key, revision: result.header.revision, isDelete: operation.function == .delete,
                        value: operation.value ?? ""))
            }
        case .success(let other):
            unexpected.append("c\(id) \(operation.function) answered \(other)")
            history.complete(index, .fail, at: context.trueTime)
        case .failure(let failure):
            switch failure {
            case .server(.timedOut), .server(.stopping):
                // A write may still have happened; a read did not matter.
                if operation.function == .get {
                    history.complete(index, .fail, at: context.trueTime)
                } else {
                    history.complete(index, .info, at: context.trueTime)
                    generation += 1
                }
            case .server:
                history.complete(index, .fail, at: context.trueTime)
            case .kv, .lease, .membership, .auth:
                unexpected.append("c\(id) \(operation.function) \(operation.key): \(failure.error)")
                history.complete(index, .fail, at: context.trueTime)
            }
        }
    }

    private mutating func observe(_ operation: ServerLabOperation, _ outcome: SequentialWitness.Outcome, revision: Int64) {
        guard settings.readsServedLocally else { return }
        observations.append(
            SequentialWitness.Observation(
                function: operation.function, key: operation.key, value: operation.value, expected: operation.expected,
                outcome: outcome, revision: revision))
    }

    private mutating func timedOut(_ context: inout Context) {
        guard let current = pending else { return }
        pending = nil
        if case .recorded(let index, let operation) = current {
            if operation.function == .get {
                history.complete(index, .fail, at: context.trueTime)
            } else {
                history.complete(index, .info, at: context.trueTime)
                generation += 1
            }
        }
        scheduleThink(&context)
    }

    private mutating func issue(_ context: inout Context) {
        guard pending == nil, context.trueTime < settings.clientsStopAt else { return }
        number += 1
        let key = settings.keys[context.random.index(below: settings.keys.count)]
        let value = "\(id)-\(number)"
        let bytes = Array(key.utf8)
        let request: ClientRequest
        if settings.compactionOneIn > 0 && context.random.next(below: settings.compactionOneIn) == 0 {
            request = .write(.compact(CompactionRequest(revision: max(1, highestRevision - 4))))
            pending = .unrecorded
        } else {
            let operation: ServerLabOperation
            switch context.random.next(below: 100) {
            case 0..<10:
                request = .range(RangeRequest(key: bytes, serializable: true))
                pending = .unrecorded
                return send(request, &context)
            case 10..<45:
                operation = ServerLabOperation(function: .get, key: key)
                request = .range(RangeRequest(key: bytes, serializable: settings.readsServedLocally))
            case 45..<70:
                operation = ServerLabOperation(function: .put, key: key, value: value)
                request = .write(.put(PutRequest(key: bytes, value: Array(value.utf8))))
            case 70..<80:
                operation = ServerLabOperation(function: .delete, key: key)
                request = .write(.deleteRange(DeleteRangeRequest(key: bytes)))
            default:
                let expected = context.random.chance(perMillion: 200_000) ? nil : (lastSeen[key] ?? nil)
                operation = ServerLabOperation(function: .cas, key: key, value: value, expected: expected)
                let condition =
                    expected.map { Compare(key: bytes, target: .value(Array($0.utf8)), result: .equal) }
                    ?? Compare(key: bytes, target: .version(0), result: .equal)
                request = .write(.txn(TxnRequest(compare: [condition], success: [.put(PutRequest(key: bytes, value: Array(value.utf8)))])))
            }
            let index = history.invoke(process: process, operation, at: context.trueTime)
            pending = .recorded(index: index, operation)
        }
        send(request, &context)
    }

    private mutating func send(_ request: ClientRequest, _ context: inout Context) {
        let servers = settings.servers(for: id)
        context.send(.request(number, request), to: servers[context.random.index(below: servers.count)])
        context.setTimer(Self.timeoutTimer, after: settings.clientTimeout)
    }

    private func scheduleThink(_ context: inout Context) {
        // At least a microsecond, so that a client's next invocation comes
        // after its last completion in the merged history.
        let pause = context.random.next(in: 1_000...settings.thinkTimeMax.nanoseconds)
        context.setTimer(Self.thinkTimer, after: .nanoseconds(pause))
    }
}
