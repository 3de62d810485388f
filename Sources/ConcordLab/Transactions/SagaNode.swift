import ConcordSimulation
import ConcordTransactions

/// Test-only bugs a saga scenario can re-introduce, to show that its
/// checker catches them.
enum SagaBug: String, Sendable, CaseIterable {
    /// The orchestrator sends a step before logging the transition that
    /// causes it: a crash can forget a saga whose first action took effect.
    case actionBeforeLog = "action-before-log"
    /// Services ignore idempotency keys: a retried or duplicated action
    /// takes effect again.
    case noIdempotency = "no-idempotency"
}

/// How a saga scenario's nodes behave.
struct SagaConfiguration: Sendable {
    static let orchestrator: NodeID = 0
    static let client: NodeID = 9
    /// The saga every client request starts.
    var steps: [Transactions.SagaStep]
    /// The interval between orchestrator ticks.
    var tick = SimulationDuration.milliseconds(5)
    /// How many sagas the client starts.
    var sagas = 30
    /// The interval between two sagas the client starts.
    var requestInterval = SimulationDuration.milliseconds(40)
    /// The chance that a service's business rules refuse a new action.
    var rejectPerMillion: UInt32 = 80_000
    /// The bug re-introduced, if any.
    var bug: SagaBug?

    var services: [NodeID] { Array(Set(steps.map(\.service))).sorted() }
    var servers: [NodeID] { [Self.orchestrator] + services }
}

/// What saga-scenario nodes send.
enum SagaNodeMessage: Sendable, CustomStringConvertible {
    case start(Transactions.TransactionID)
    case core(Transactions.SagaMessage)

    var description: String {
        switch self {
        case .start(let saga): "start(\(saga))"
        case .core(let message): message.description
        }
    }
}

/// What a saga-scenario node keeps on disk.
enum SagaNodeLog: Sendable {
    case orchestrator(SharedLog<Transactions.SagaRecord>)
    case service(SharedLog<Transactions.SagaServiceRecord>)
}

/// The adapter that runs the saga orchestrator, a saga service, or the
/// client that starts sagas, in the simulator. Cores live in optional
/// properties and are mutated in place.
struct SagaNode: SimulatedNode {
    typealias Message = SagaNodeMessage
    typealias DurableState = SagaNodeLog
    typealias Context = NodeContext<Message, DurableState>

    static let tickTimer = TimerID(1)
    static let requestTimer = TimerID(2)

    let id: NodeID
    let configuration: SagaConfiguration
    private(set) var orchestrator: Transactions.SagaOrchestrator?
    private(set) var service: Transactions.SagaService?
    private var orchestratorLog = SharedLog<Transactions.SagaRecord>()
    private var serviceLog = SharedLog<Transactions.SagaServiceRecord>()
    /// The client's next saga, nil for servers.
    private var nextSaga: UInt64?
    private var gate = PersistGate<Transactions.SagaMessage>()

    init(id: NodeID, durable: DurableState?, context: inout Context) {
        preconditionFailure("saga nodes are built with a configuration")
    }

    init(id: NodeID, durable: DurableState?, configuration: SagaConfiguration, context: inout Context) {
        self.id = id
        self.configuration = configuration
        switch (id, durable) {
        case (SagaConfiguration.client, _):
            nextSaga = 1
            context.setTimer(Self.requestTimer, after: configuration.requestInterval)
        case (SagaConfiguration.orchestrator, .orchestrator(let log)?):
            orchestratorLog = log
            orchestrator = Transactions.SagaOrchestrator(id: id, log: log.records)
            context.log("restarted from its saga log")
            context.setTimer(Self.tickTimer, after: configuration.tick)
        case (SagaConfiguration.orchestrator, _):
            orchestrator = Transactions.SagaOrchestrator(id: id)
            context.setTimer(Self.tickTimer, after: configuration.tick)
        case (_, .service(let log)?):
            serviceLog = log
            service = Transactions.SagaService(id: id, log: log.records)
        default:
            service = Transactions.SagaService(id: id)
        }
    }

    /// Sagas the orchestrator has neither completed nor compensated.
    var unfinishedSagas: [Transactions.TransactionID] {
        orchestrator?.unfinishedSagas ?? []
    }

    mutating func onMessage(_ message: Message, from: NodeID, context: inout Context) {
        switch message {
        case .start(let saga) where orchestrator != nil:
            guard let effects = try? orchestrator!.start(saga, steps: configuration.steps) else { return }
            context.log("starts saga \(saga)")
            applyOrchestrator(effects, context: &context)
        case .core(let message) where orchestrator != nil:
            applyOrchestrator(orchestrator!.onMessage(message, from: from), context: &context)
        case .core(let message) where service != nil:
            if configuration.bug == .noIdempotency, case .perform(let key, _) = message {
                // The bug: forget what was done under this key.
                service = Transactions.SagaService(id: id, log: serviceLog.records.filter { $0.key != key })
            }
            let accept = !context.random.chance(perMillion: configuration.rejectPerMillion)
            let effects = service!.onMessage(message, from: from, accept: accept)
            serviceLog.append(contentsOf: effects.records)
            for record in effects.records { context.log("service \(record)") }
            perform(effects.messages, records: effects.records.isEmpty ? nil : .service(serviceLog),
                    afterRecords: effects.messagesAfterRecords, context: &context)
        default:
            break
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        if let next = nextSaga {
            guard next <= UInt64(configuration.sagas) else { return }
            context.send(.start(Transactions.TransactionID(next)), to: SagaConfiguration.orchestrator)
            nextSaga = next + 1
            context.setTimer(Self.requestTimer, after: configuration.requestInterval)
        } else if orchestrator != nil {
            applyOrchestrator(orchestrator!.onTick(), context: &context)
            context.setTimer(Self.tickTimer, after: configuration.tick)
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout Context) {
        send(gate.durable(token), context: &context)
    }

    private mutating func applyOrchestrator(_ effects: Transactions.Effects<Transactions.SagaRecord, Transactions.SagaMessage>,
                                            context: inout Context) {
        orchestratorLog.append(contentsOf: effects.records)
        var afterRecords = effects.messagesAfterRecords
        if configuration.bug == .actionBeforeLog {
            // The bug: send now, log later.
            send(afterRecords, context: &context)
            afterRecords = []
        }
        perform(effects.messages, records: effects.records.isEmpty ? nil : .orchestrator(orchestratorLog),
                afterRecords: afterRecords, context: &context)
        for decision in effects.decisions {
            context.log("saga \(decision.transaction) \(decision.decision == .commit ? "completed" : "compensated")")
        }
    }

    private mutating func perform(_ messages: [Transactions.Envelope<Transactions.SagaMessage>], records: DurableState?,
                                  afterRecords: [Transactions.Envelope<Transactions.SagaMessage>], context: inout Context) {
        send(messages, context: &context)
        if let records {
            gate.wrote(context.persist(records), releasing: afterRecords)
        } else {
            send(gate.afterEarlierWrites(afterRecords), context: &context)
        }
    }

    private func send(_ envelopes: [Transactions.Envelope<Transactions.SagaMessage>], context: inout Context) {
        for envelope in envelopes {
            context.send(.core(envelope.message), to: envelope.to)
        }
    }
}

extension Transactions.SagaServiceRecord {
    /// The key the record is about.
    var key: Transactions.IdempotencyKey {
        switch self {
        case .applied(let key, _), .rejected(let key), .compensated(let key, _): key
        }
    }
}
