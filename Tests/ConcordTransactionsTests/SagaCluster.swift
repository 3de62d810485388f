@testable import ConcordTransactions

/// A synchronous shell for saga tests: an orchestrator (peer 0) and
/// services, records durable at once, one message queue, and a hook that
/// loses chosen messages.
struct SagaCluster {
    static let orchestratorID: PeerID = 0
    var orchestrator: Transactions.SagaOrchestrator?
    var orchestratorLog: [Transactions.SagaRecord] = []
    var services: [PeerID: Transactions.SagaService] = [:]
    var serviceLogs: [PeerID: [Transactions.SagaServiceRecord]] = [:]
    var queue: [(from: PeerID, envelope: Transactions.Envelope<Transactions.SagaMessage>)] = []
    var outcomes: [Transactions.DecisionReport] = []
    /// Every message handed to the network, in order.
    var sent: [Transactions.SagaMessage] = []
    /// Services that reject new actions.
    var rejecting: Set<PeerID> = []
    /// Decides whether a message is lost instead of delivered.
    var lose: (PeerID, Transactions.Envelope<Transactions.SagaMessage>) -> Bool = { _, _ in false }
    let settings: Transactions.SagaSettings

    init(services ids: [PeerID], settings: Transactions.SagaSettings = .init()) {
        self.settings = settings
        orchestrator = Transactions.SagaOrchestrator(id: Self.orchestratorID, settings: settings)
        for id in ids {
            services[id] = Transactions.SagaService(id: id)
            serviceLogs[id] = []
        }
    }

    mutating func start(_ saga: UInt64, _ steps: [Transactions.SagaStep]) throws {
        applyOrchestrator(try orchestrator!.start(TransactionID(saga), steps: steps))
    }

    mutating func applyOrchestrator(_ effects: Transactions.Effects<Transactions.SagaRecord, Transactions.SagaMessage>) {
        orchestratorLog += effects.records
        outcomes += effects.decisions
        for envelope in effects.messages + effects.messagesAfterRecords {
            sent.append(envelope.message)
            queue.append((Self.orchestratorID, envelope))
        }
    }

    mutating func deliverAll() {
        var steps = 0
        while !queue.isEmpty {
            steps += 1
            precondition(steps < 10_000, "messages kept flowing")
            let (from, envelope) = queue.removeFirst()
            if lose(from, envelope) { continue }
            if envelope.to == Self.orchestratorID {
                if orchestrator != nil { applyOrchestrator(orchestrator!.onMessage(envelope.message, from: from)) }
            } else if services[envelope.to] != nil {
                let effects = services[envelope.to]!.onMessage(envelope.message, from: from,
                                                               accept: !rejecting.contains(envelope.to))
                serviceLogs[envelope.to]! += effects.records
                for reply in effects.messages + effects.messagesAfterRecords {
                    sent.append(reply.message)
                    queue.append((envelope.to, reply))
                }
            }
        }
    }

    mutating func tick(_ count: Int = 1) {
        for _ in 0..<count {
            if orchestrator != nil { applyOrchestrator(orchestrator!.onTick()) }
            deliverAll()
        }
    }

    mutating func crashOrchestrator() {
        orchestrator = nil
        queue.removeAll { $0.from == Self.orchestratorID || $0.envelope.to == Self.orchestratorID }
    }

    mutating func restartOrchestrator() {
        orchestrator = Transactions.SagaOrchestrator(id: Self.orchestratorID, settings: settings, log: orchestratorLog)
    }

    /// How many times each key's action took effect at a service.
    func applications(at service: PeerID) -> [Transactions.IdempotencyKey: Int] {
        var counts: [Transactions.IdempotencyKey: Int] = [:]
        for case .applied(let key, _) in serviceLogs[service]! { counts[key, default: 0] += 1 }
        return counts
    }

    /// The compensations sent, in order, as step indexes.
    var compensationOrder: [Int] {
        var order: [Int] = []
        for case .compensate(let key, _) in sent where order.last != key.step { order.append(key.step) }
        return order
    }
}
