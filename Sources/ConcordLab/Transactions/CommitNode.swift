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
/// client's requests to start a transaction.
enum CommitNodeMessage<Message: Hashable & Sendable & CustomStringConvertible>: Sendable, CustomStringConvertible {
    case begin(Transactions.TransactionID)
    case core(Message)

    var description: String {
        switch self {
        case .begin(let transaction): "begin(\(transaction))"
        case .core(let message): message.description
        }
    }
}

/// What a commit-scenario node keeps on disk.
enum CommitNodeLog<CoordinatorRecord: Sendable, ParticipantRecord: Sendable>: Sendable {
    case coordinator([CoordinatorRecord])
    case participant([ParticipantRecord])
}

/// The adapter that runs a commit protocol's coordinator or participant (or
/// the client that starts transactions) in the simulator: it feeds the core
/// messages and ticks, writes its records to the simulated disk, and holds
/// back messages until the records they depend on are durable.
struct CommitNode<P: AtomicCommitProtocol>: SimulatedNode {
    typealias Message = CommitNodeMessage<P.Message>
    typealias DurableState = CommitNodeLog<P.CoordinatorRecord, P.ParticipantRecord>
    typealias Context = NodeContext<Message, DurableState>

    static var tickTimer: TimerID { TimerID(1) }
    static var requestTimer: TimerID { TimerID(2) }

    enum Role: Sendable {
        case coordinator(P.Coordinator, log: [P.CoordinatorRecord])
        case participant(P.Participant, log: [P.ParticipantRecord])
        case client(nextTransaction: UInt64)
    }

    let id: NodeID
    let configuration: CommitConfiguration
    private(set) var role: Role
    private var gate = PersistGate<P.Message>()

    init(id: NodeID, durable: DurableState?, context: inout Context) {
        self.init(id: id, durable: durable, configuration: CommitConfiguration(), context: &context)
    }

    init(id: NodeID, durable: DurableState?, configuration: CommitConfiguration, context: inout Context) {
        self.id = id
        self.configuration = configuration
        switch (id, durable) {
        case (CommitConfiguration.client, _):
            role = .client(nextTransaction: 1)
            context.setTimer(Self.requestTimer, after: configuration.requestInterval)
            return
        case (CommitConfiguration.coordinator, .coordinator(let log)?):
            role = .coordinator(P.coordinator(id: id, log: log), log: log)
        case (CommitConfiguration.coordinator, _):
            role = .coordinator(P.coordinator(id: id, log: []), log: [])
        case (_, .participant(let log)?):
            let remembered = configuration.bug == .forgetYesVote ? P.forgettingYesVotes(log) : log
            role = .participant(P.participant(id: id, log: remembered), log: log)
        default:
            role = .participant(P.participant(id: id, log: []), log: [])
        }
        if durable != nil { context.log("restarted from its log") }
        context.setTimer(Self.tickTimer, after: configuration.tick)
    }

    /// Transactions this participant voted yes on and has not decided (holding their locks).
    var undecided: [Transactions.TransactionID] {
        if case .participant(let participant, _) = role { return P.undecided(participant) }
        return []
    }

    /// The decisions in this node's log, durable or not yet.
    var loggedDecisions: [Transactions.DecisionReport] {
        switch role {
        case .coordinator(_, let log): P.decisions(in: log)
        case .participant(_, let log): P.decisions(in: log)
        case .client: []
        }
    }

    /// The number of records in this node's log, durable or not yet.
    var loggedRecordCount: Int {
        switch role {
        case .coordinator(_, let log): log.count
        case .participant(_, let log): log.count
        case .client: 0
        }
    }

    mutating func onMessage(_ message: Message, from: NodeID, context: inout Context) {
        switch (role, message) {
        case (.coordinator(var coordinator, let log), .begin(let transaction)):
            let effects = P.begin(&coordinator, transaction, participants: configuration.participants)
            context.log("begins \(transaction)")
            role = .coordinator(coordinator, log: log)
            applyCoordinator(effects, context: &context)
        case (.coordinator(var coordinator, let log), .core(let message)):
            let effects = P.onMessage(&coordinator, message, from: from)
            role = .coordinator(coordinator, log: log)
            applyCoordinator(effects, context: &context)
        case (.participant(var participant, let log), .core(let message)):
            let vote: Transactions.Vote = context.random.chance(perMillion: configuration.noVotePerMillion) ? .no : .yes
            let effects = P.onMessage(&participant, message, from: from, localVote: vote)
            role = .participant(participant, log: log)
            applyParticipant(effects, context: &context)
        default:
            break
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        switch role {
        case .client(let next):
            guard next <= UInt64(configuration.transactions) else { return }
            context.send(.begin(Transactions.TransactionID(next)), to: CommitConfiguration.coordinator)
            role = .client(nextTransaction: next + 1)
            context.setTimer(Self.requestTimer, after: configuration.requestInterval)
        case .coordinator(var coordinator, let log):
            let effects = P.onTick(&coordinator)
            role = .coordinator(coordinator, log: log)
            applyCoordinator(effects, context: &context)
            context.setTimer(Self.tickTimer, after: configuration.tick)
        case .participant(var participant, let log):
            let effects = P.onTick(&participant)
            role = .participant(participant, log: log)
            applyParticipant(effects, context: &context)
            context.setTimer(Self.tickTimer, after: configuration.tick)
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout Context) {
        for envelope in gate.durable(token) {
            context.send(.core(envelope.message), to: envelope.to)
        }
    }

    private mutating func applyCoordinator(_ effects: Transactions.Effects<P.CoordinatorRecord, P.Message>, context: inout Context) {
        guard case .coordinator(let coordinator, var log) = role else { return }
        log += effects.records
        role = .coordinator(coordinator, log: log)
        var afterRecords = effects.messagesAfterRecords
        if configuration.bug == .decisionBeforeLog {
            // The bug: announce now, log later.
            send(afterRecords, context: &context)
            afterRecords = []
        }
        perform(effects.messages, records: effects.records.isEmpty ? nil : .coordinator(log),
                afterRecords: afterRecords, decisions: effects.decisions, context: &context)
    }

    private mutating func applyParticipant(_ effects: Transactions.Effects<P.ParticipantRecord, P.Message>, context: inout Context) {
        guard case .participant(let participant, var log) = role else { return }
        log += effects.records
        role = .participant(participant, log: log)
        perform(effects.messages, records: effects.records.isEmpty ? nil : .participant(log),
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
