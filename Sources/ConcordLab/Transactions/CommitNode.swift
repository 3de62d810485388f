import ConcordSimulation
import ConcordTransactions

/// Test-only bugs a commit scenario can re-introduce, to show that its
/// checker catches them.
enum CommitBug: String, Sendable, CaseIterable {
    /// A participant restarts without its yes votes: it may then abort,
    /// unilaterally, a transaction the coordinator commits.
    case forgetYesVote = "forget-yes-vote"
    /// The coordinator sends its decision before the decision is durable:
    /// after a crash it may presume abort for a transaction it announced as
    /// committed.
    case decisionBeforeLog = "decision-before-log"
}

/// How a commit scenario's nodes behave.
struct CommitConfiguration: Sendable {
    static let coordinator: NodeID = 0
    static let client: NodeID = 9
    var participants: [NodeID] = [1, 2, 3]
    /// The interval between protocol ticks.
    var tick = SimulationDuration.milliseconds(5)
    /// How many transactions the client starts.
    var transactions = 40
    /// The interval between two transactions the client starts.
    var requestInterval = SimulationDuration.milliseconds(30)
    /// The chance that a participant votes no.
    var noVotePerMillion: UInt32 = 50_000
    /// The bug re-introduced, if any.
    var bug: CommitBug?

    var servers: [NodeID] { [Self.coordinator] + participants }
}

/// What commit-scenario nodes send: the protocol's messages, and the
/// client's numbered requests to run a transaction (the coordinator names
/// the transaction).
enum CommitNodeMessage<Message: Hashable & Sendable & CustomStringConvertible>: Sendable, CustomStringConvertible {
    case request(UInt64)
    case core(Message)

    var description: String {
        switch self {
        case .request(let number): "request#\(number)"
        case .core(let message): message.description
        }
    }
}

/// What a commit-scenario node keeps on disk.
enum CommitNodeLog<CoordinatorRecord: Sendable, ParticipantRecord: Sendable>: Sendable {
    case coordinator(SharedLog<CoordinatorRecord>, reservedThrough: UInt64)
    case participant(SharedLog<ParticipantRecord>)
}

/// The adapter that runs a commit protocol's coordinator or participant (or
/// the client that starts transactions) in the simulator: it feeds the core
/// messages and ticks, writes its records to the simulated disk, and holds
/// back messages until the records they depend on are durable.
///
/// The core lives in an optional property and is mutated in place, so a
/// handler never copies the core's tables.
struct CommitNode<P: AtomicCommitProtocol>: SimulatedNode {
    typealias Message = CommitNodeMessage<P.Message>
    typealias DurableState = CommitNodeLog<P.CoordinatorRecord, P.ParticipantRecord>
    typealias Context = NodeContext<Message, DurableState>

    static var tickTimer: TimerID { TimerID(1) }
    static var requestTimer: TimerID { TimerID(2) }

    let id: NodeID
    let configuration: CommitConfiguration
    private(set) var coordinator: P.Coordinator?
    private(set) var participant: P.Participant?
    private var coordinatorLog = SharedLog<P.CoordinatorRecord>()
    private var identifiers = IdentifierReservation(durableReservedThrough: 0)
    private var participantLog = SharedLog<P.ParticipantRecord>()
    /// The client's next transaction, nil for servers.
    private var nextTransaction: UInt64?
    private var gate = PersistGate<P.Message>()

    init(id: NodeID, durable: DurableState?, context: inout Context) {
        self.init(id: id, durable: durable, configuration: CommitConfiguration(), context: &context)
    }

    init(id: NodeID, durable: DurableState?, configuration: CommitConfiguration, context: inout Context) {
        self.id = id
        self.configuration = configuration
        switch (id, durable) {
        case (CommitConfiguration.client, _):
            nextTransaction = 1
            context.setTimer(Self.requestTimer, after: configuration.requestInterval)
            return
        case (CommitConfiguration.coordinator, .coordinator(let log, let reservedThrough)?):
            coordinatorLog = log
            coordinator = P.coordinator(id: id, log: log.records)
            identifiers = IdentifierReservation(durableReservedThrough: reservedThrough)
            persistCoordinator(releasing: [], context: &context)
        case (CommitConfiguration.coordinator, _):
            coordinator = P.coordinator(id: id, log: [])
            persistCoordinator(releasing: [], context: &context)
        case (_, .participant(let log)?):
            participantLog = log
            let records = log.records
            participant = P.participant(id: id, log: configuration.bug == .forgetYesVote ? P.forgettingYesVotes(records) : records)
        default:
            participant = P.participant(id: id, log: [])
        }
        if durable != nil { context.log("restarted from its log") }
        context.setTimer(Self.tickTimer, after: configuration.tick)
    }

    /// Transactions this participant voted yes on and has not decided (holding their locks).
    var undecided: [Transactions.TransactionID] {
        participant.map(P.undecided) ?? []
    }

    /// The decisions in this node's log, durable or not yet.
    var loggedDecisions: [Transactions.DecisionReport] {
        if coordinator != nil { return P.decisions(in: coordinatorLog.records) }
        if participant != nil { return P.decisions(in: participantLog.records) }
        return []
    }

    /// The number of records in this node's log, durable or not yet.
    var loggedRecordCount: Int {
        coordinator != nil ? coordinatorLog.count : participantLog.count
    }

    mutating func onMessage(_ message: Message, from: NodeID, context: inout Context) {
        switch message {
        case .request where coordinator != nil:
            guard let raw = identifiers.take() else {
                context.log("drops the request: no transaction identifier durably reserved yet")
                return
            }
            let transaction = Transactions.TransactionID(raw)
            context.log("begins \(transaction)")
            let effects = P.begin(&coordinator!, transaction, participants: configuration.participants)
            applyCoordinator(effects, context: &context)
            if identifiers.needsWrite { persistCoordinator(releasing: [], context: &context) }
        case .core(let message) where coordinator != nil:
            applyCoordinator(P.onMessage(&coordinator!, message, from: from), context: &context)
        case .core(let message) where participant != nil:
            let vote: Transactions.Vote = context.random.chance(perMillion: configuration.noVotePerMillion) ? .no : .yes
            applyParticipant(P.onMessage(&participant!, message, from: from, localVote: vote), context: &context)
        default:
            break
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        if let next = nextTransaction {
            guard next <= UInt64(configuration.transactions) else { return }
            context.send(.request(next), to: CommitConfiguration.coordinator)
            nextTransaction = next + 1
            context.setTimer(Self.requestTimer, after: configuration.requestInterval)
            return
        }
        if coordinator != nil {
            applyCoordinator(P.onTick(&coordinator!), context: &context)
        } else if participant != nil {
            applyParticipant(P.onTick(&participant!), context: &context)
        }
        context.setTimer(Self.tickTimer, after: configuration.tick)
    }

    mutating func onDurable(_ token: PersistToken, context: inout Context) {
        identifiers.durable(token)
        send(gate.durable(token), context: &context)
    }

    private mutating func applyCoordinator(_ effects: Transactions.Effects<P.CoordinatorRecord, P.Message>, context: inout Context) {
        coordinatorLog.append(contentsOf: effects.records)
        var afterRecords = effects.messagesAfterRecords
        if configuration.bug == .decisionBeforeLog {
            // The bug: announce now, log later.
            send(afterRecords, context: &context)
            afterRecords = []
        }
        send(effects.messages, context: &context)
        if effects.records.isEmpty {
            send(gate.afterEarlierWrites(afterRecords), context: &context)
        } else {
            persistCoordinator(releasing: afterRecords, context: &context)
        }
        logDecisions(effects.decisions, context: &context)
    }

    /// Writes the coordinator's log and identifier reservation.
    private mutating func persistCoordinator(releasing envelopes: [Transactions.Envelope<P.Message>], context: inout Context) {
        let token = context.persist(.coordinator(coordinatorLog, reservedThrough: identifiers.reservedThrough))
        identifiers.wrote(token)
        gate.wrote(token, releasing: envelopes)
    }

    private mutating func applyParticipant(_ effects: Transactions.Effects<P.ParticipantRecord, P.Message>, context: inout Context) {
        participantLog.append(contentsOf: effects.records)
        perform(effects.messages, records: effects.records.isEmpty ? nil : .participant(participantLog),
                afterRecords: effects.messagesAfterRecords, decisions: effects.decisions, context: &context)
    }

    private mutating func perform(_ messages: [Transactions.Envelope<P.Message>], records: DurableState?,
                                  afterRecords: [Transactions.Envelope<P.Message>],
                                  decisions: [Transactions.DecisionReport], context: inout Context) {
        send(messages, context: &context)
        if let records {
            gate.wrote(context.persist(records), releasing: afterRecords)
        } else {
            send(gate.afterEarlierWrites(afterRecords), context: &context)
        }
        logDecisions(decisions, context: &context)
    }

    private func logDecisions(_ decisions: [Transactions.DecisionReport], context: inout Context) {
        for decision in decisions {
            context.log("decides \(decision.decision.rawValue) \(decision.transaction)")
        }
    }

    private func send(_ envelopes: [Transactions.Envelope<P.Message>], context: inout Context) {
        for envelope in envelopes {
            context.send(.core(envelope.message), to: envelope.to)
        }
    }
}
