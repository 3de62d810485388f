import ConcordSimulation
import ConcordTransactions

/// Test-only bugs of the choreography scenario.
enum ChoreographyBug: String, Sendable, CaseIterable {
    /// A service acknowledges an event before its handling is durable: a
    /// crash then loses the event, and its saga stops half-way.
    case ackBeforeLog = "ack-before-log"
}

/// How the choreography scenario's nodes behave.
struct ChoreographyConfiguration: Sendable {
    static let client: NodeID = 9
    /// The services, in chain order, with their node ids (1, 2, ...).
    var names = ["order", "payment", "inventory", "shipping"]
    var startEvent = "checkout-requested"
    /// How many sagas the client starts.
    var sagas = 30
    var requestInterval = SimulationDuration.milliseconds(40)
    /// How often unacknowledged events are sent again.
    var resendInterval = SimulationDuration.milliseconds(30)
    /// The chance that a service refuses a saga's action.
    var rejectPerMillion: UInt32 = 80_000
    var bug: ChoreographyBug?

    var services: [Transactions.ChoreographedService] {
        Transactions.ChoreographedService.chain(names, startEvent: startEvent)
    }
    var serviceIDs: [NodeID] { Array(1...names.count) }

    /// The nodes subscribed to an event.
    func subscribers(of name: String) -> [NodeID] {
        zip(serviceIDs, services).filter { $0.1.subscribes(to: name) }.map(\.0)
    }
}

/// What choreography nodes send: events, at least once, and their acknowledgements.
enum ChoreographyMessage: Hashable, Sendable, CustomStringConvertible {
    case event(Transactions.ChoreographyEvent)
    case acknowledge(Transactions.ChoreographyEvent)

    var description: String {
        switch self {
        case .event(let event): "event \(event)"
        case .acknowledge(let event): "ack \(event)"
        }
    }
}

/// What a choreographed service keeps on disk: its state, the events it
/// still has to deliver (its outbox), and a count of its effects.
struct ChoreographyDurableState: Sendable {
    var service: Transactions.ChoreographedService
    var outbox: [PendingEvent]
    /// How many times each saga's action took effect here, and was undone.
    var applied: [Transactions.TransactionID: Int]
    var undone: [Transactions.TransactionID: Int]
}

/// An event waiting for a subscriber's acknowledgement.
struct PendingEvent: Hashable, Sendable {
    var event: Transactions.ChoreographyEvent
    var to: NodeID
}

/// A choreographed service (or the client that starts sagas) on the
/// simulated network. Events go out through a durable outbox and are resent
/// until acknowledged; a service acknowledges an event only once its
/// handling is durable, and handles each event once.
struct ChoreographyNode: SimulatedNode {
    typealias Message = ChoreographyMessage
    typealias DurableState = ChoreographyDurableState
    typealias Context = NodeContext<Message, DurableState>

    static let resendTimer = TimerID(1)
    static let requestTimer = TimerID(2)

    let id: NodeID
    let configuration: ChoreographyConfiguration
    private var state: ChoreographyDurableState?
    /// The client's next saga and its unacknowledged start events.
    private var nextSaga: UInt64 = 1
    private var clientOutbox: [PendingEvent] = []
    private var gate = PersistGate<Message>()

    init(id: NodeID, durable: DurableState?, context: inout Context) {
        preconditionFailure("choreography nodes are built with a configuration")
    }

    init(id: NodeID, durable: DurableState?, configuration: ChoreographyConfiguration, context: inout Context) {
        self.id = id
        self.configuration = configuration
        if id == ChoreographyConfiguration.client {
            context.setTimer(Self.requestTimer, after: configuration.requestInterval)
        } else {
            state = durable ?? ChoreographyDurableState(service: configuration.services[id - 1], outbox: [],
                                                        applied: [:], undone: [:])
        }
        context.setTimer(Self.resendTimer, after: configuration.resendInterval)
    }

    /// The service's state, nil for the client.
    var service: Transactions.ChoreographedService? { state?.service }
    /// How many times each saga's action took effect here, and was undone.
    var applied: [Transactions.TransactionID: Int] { state?.applied ?? [:] }
    var undone: [Transactions.TransactionID: Int] { state?.undone ?? [:] }

    /// True when nothing waits for an acknowledgement.
    var isQuiet: Bool { (state?.outbox.isEmpty ?? true) && clientOutbox.isEmpty }

    mutating func onMessage(_ message: Message, from: NodeID, context: inout Context) {
        switch message {
        case .acknowledge(let event):
            state?.outbox.removeAll { $0.event == event && $0.to == from }
            clientOutbox.removeAll { $0.event == event && $0.to == from }
        case .event(let event):
            guard state != nil else { return }
            let accept = !context.random.chance(perMillion: configuration.rejectPerMillion)
            let before = state!.service.outcome(of: event.saga)
            let emitted = state!.service.onEvent(event, accept: accept)
            let ack = Transactions.Envelope(to: from, Message.acknowledge(event))
            guard !emitted.isEmpty else {
                // Seen before (or nothing to do): acknowledge once what it caused is durable.
                send(gate.afterEarlierWrites([ack]), context: &context)
                return
            }
            count(before: before, after: state!.service.outcome(of: event.saga), saga: event.saga, context: &context)
            var outgoing: [Transactions.Envelope<Message>] = []
            for newEvent in emitted {
                for subscriber in configuration.subscribers(of: newEvent.name) {
                    state!.outbox.append(PendingEvent(event: newEvent, to: subscriber))
                    outgoing.append(Transactions.Envelope(to: subscriber, .event(newEvent)))
                }
                context.log("publishes \(newEvent)")
            }
            if configuration.bug == .ackBeforeLog {
                send([ack], context: &context)
                gate.wrote(context.persist(state!), releasing: outgoing)
            } else {
                gate.wrote(context.persist(state!), releasing: [ack] + outgoing)
            }
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        if timer == Self.requestTimer {
            if nextSaga <= UInt64(configuration.sagas) {
                let event = Transactions.ChoreographyEvent(saga: Transactions.TransactionID(nextSaga), name: configuration.startEvent)
                for subscriber in configuration.subscribers(of: event.name) {
                    clientOutbox.append(PendingEvent(event: event, to: subscriber))
                    context.send(.event(event), to: subscriber)
                }
                nextSaga += 1
                context.setTimer(Self.requestTimer, after: configuration.requestInterval)
            }
            return
        }
        // Resend what is durable and unacknowledged (the gate holds the rest).
        if !gate.hasPendingWrite {
            for pending in (state?.outbox ?? []) + clientOutbox {
                context.send(.event(pending.event), to: pending.to)
            }
        }
        context.setTimer(Self.resendTimer, after: configuration.resendInterval)
    }

    mutating func onDurable(_ token: PersistToken, context: inout Context) {
        send(gate.durable(token), context: &context)
    }

    private mutating func count(before: Transactions.ChoreographedService.Outcome?,
                                after: Transactions.ChoreographedService.Outcome?,
                                saga: Transactions.TransactionID, context: inout Context) {
        if before == nil, after == .applied {
            state!.applied[saga, default: 0] += 1
            context.log("applies \(configuration.names[id - 1]) for \(saga)")
        }
        if before == .applied, after == .compensated(undid: true) {
            state!.undone[saga, default: 0] += 1
            context.log("undoes \(configuration.names[id - 1]) for \(saga)")
        }
    }

    private func send(_ envelopes: [Transactions.Envelope<Message>], context: inout Context) {
        for envelope in envelopes { context.send(envelope.message, to: envelope.to) }
    }
}
