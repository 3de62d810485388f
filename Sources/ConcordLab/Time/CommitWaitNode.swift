import ConcordClocks
import ConcordSimulation

/// The bugs the `commit-wait` scenario can re-introduce.
enum CommitWaitBug: String, CaseIterable, Sendable {
    /// Servers answer as soon as they pick the timestamp, without waiting
    /// until it has certainly passed (Spanner §4.1.2's commit wait skipped).
    case noCommitWait = "no-commit-wait"
    /// Servers configure an uncertainty a tenth of the real clock error, so
    /// their intervals miss true time and the wait is too short.
    case smallEpsilon = "small-epsilon"
    /// Servers take the interval's earliest bound as the commit timestamp
    /// instead of its latest (Spanner's start rule broken).
    case earliestTimestamp = "earliest-timestamp"
}

/// What clients and servers of the `commit-wait` scenario send.
enum CommitWaitMessage: Sendable, CustomStringConvertible {
    /// A client asks a server to commit transaction `transaction`.
    case commit(transaction: Int)
    /// The server committed it at `timestamp` and the commit is visible.
    case committed(transaction: Int, timestamp: Int64)

    var description: String {
        switch self {
        case .commit(let transaction): "commit t\(transaction)"
        case .committed(let transaction, let timestamp): "committed t\(transaction) at \(timestamp)"
        }
    }
}

/// How a run behaves, drawn from the seed.
struct CommitWaitSettings: Sendable {
    var servers: [NodeID]
    var clients: [NodeID]
    /// ε: the uncertainty each server's `IntervalClock` starts with, which
    /// bounds its clock's real error at the start.
    var epsilonNanoseconds: Int64
    /// The drift bound of the interval clocks (real drift stays below it).
    var driftPartsPerMillion: Int64
    var transactionsPerClient: Int
    var thinkTimeMax: SimulationDuration
    var retryTimeout: SimulationDuration
    var bug: CommitWaitBug?
}

/// A server that commits transactions with timestamps from a TrueTime-style
/// `IntervalClock` and waits out the uncertainty before answering.
struct CommitWaitServer: Sendable {
    var clock: IntervalClock<ManualClock>
    /// Committed transactions and their timestamps (answered again on a retry).
    var committed: [Int: Int64] = [:]
    /// Transactions waiting out their commit wait: timestamp, client, true start.
    var waiting: [Int: (timestamp: Int64, client: NodeID, startedAt: SimulationInstant)] = [:]
    /// True time each commit waited, for the cost measurement.
    var waits: [SimulationDuration] = []
    /// Commits at which `TT.now()` did not contain true time.
    var intervalMisses: [String] = []
}

/// A client that runs transactions one after another, retrying on timeout.
struct CommitWaitClient: Sendable {
    var history = HistoryRecorder<Int, Int64>()
    var issued = 0
    var current: (transaction: Int, server: NodeID, operation: Int)?
}

/// A node of the `commit-wait` scenario: a server or a client.
struct CommitWaitNode: SimulatedNode {
    typealias Message = CommitWaitMessage
    typealias DurableState = Never

    static let thinkTimer = TimerID(1)
    static let retryTimer = TimerID(2)
    /// Commit-wait timers are numbered from here by transaction.
    static let commitTimerBase: UInt64 = 1_000
    /// The shortest second wait after a commit-wait timer woke early.
    static let rewaitNanosecondsMin: Int64 = 1_000

    let id: NodeID
    let settings: CommitWaitSettings
    var server: CommitWaitServer?
    var client: CommitWaitClient?

    init(id: NodeID, durable: Never?, context: inout NodeContext<Message, Never>) {
        preconditionFailure("built by CommitWaitScenario with its settings")
    }

    init(id: NodeID, settings: CommitWaitSettings, context: inout NodeContext<Message, Never>) {
        self.id = id
        self.settings = settings
        if settings.servers.contains(id) {
            let configured = settings.bug == .smallEpsilon ? settings.epsilonNanoseconds / 10 : settings.epsilonNanoseconds
            server = CommitWaitServer(clock: IntervalClock(
                physicalClock: ManualClock(nanoseconds: context.now.nanoseconds), baseUncertaintyNanoseconds: configured,
                driftPartsPerMillion: settings.driftPartsPerMillion))
        } else {
            client = CommitWaitClient()
            context.setTimer(Self.thinkTimer, after: .milliseconds(1))
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<Message, Never>) {
        if server != nil {
            finishCommitWait(transaction: Int(timer.rawValue - Self.commitTimerBase), context: &context)
        } else if timer == Self.thinkTimer {
            startTransaction(context: &context)
        } else if timer == Self.retryTimer, let current = client?.current {
            context.log("retry t\(current.transaction) at n\(current.server)")
            context.send(.commit(transaction: current.transaction), to: current.server)
            context.setTimer(Self.retryTimer, after: settings.retryTimeout)
        }
    }

    mutating func onMessage(_ message: Message, from: NodeID, context: inout NodeContext<Message, Never>) {
        switch message {
        case .commit(let transaction):
            guard server != nil else { return }
            commit(transaction, for: from, context: &context)
        case .committed(let transaction, let timestamp):
            guard var client, let current = client.current, current.transaction == transaction else { return }
            client.history.complete(current.operation, .ok(timestamp), at: context.trueTime)
            client.current = nil
            self.client = client
            context.cancelTimer(Self.retryTimer)
            context.log("t\(transaction) committed at \(timestamp)")
            context.setTimer(Self.thinkTimer, after: .nanoseconds(context.random.next(in: 0...settings.thinkTimeMax.nanoseconds)))
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout NodeContext<Message, Never>) {}

    // MARK: Client

    mutating func startTransaction(context: inout NodeContext<Message, Never>) {
        guard var client, client.current == nil, client.issued < settings.transactionsPerClient else { return }
        let transaction = id * 1_000 + client.issued
        client.issued += 1
        let server = settings.servers[context.random.index(below: settings.servers.count)]
        let operation = client.history.invoke(process: id, transaction, at: context.trueTime)
        client.current = (transaction, server, operation)
        self.client = client
        context.log("begin t\(transaction) at n\(server)")
        context.send(.commit(transaction: transaction), to: server)
        context.setTimer(Self.retryTimer, after: settings.retryTimeout)
    }

    // MARK: Server

    mutating func commit(_ transaction: Int, for client: NodeID, context: inout NodeContext<Message, Never>) {
        guard var server else { return }
        defer { self.server = server }
        if let timestamp = server.committed[transaction] {
            context.send(.committed(transaction: transaction, timestamp: timestamp), to: client)
            return
        }
        if server.waiting[transaction] != nil { return }
        server.clock.physicalClock.nanoseconds = context.now.nanoseconds
        let interval = server.clock.now()
        if !interval.contains(context.trueTime.nanoseconds) {
            server.intervalMisses.append("n\(id)'s TT.now() \(interval) missed true time \(context.trueTime.nanoseconds) at t\(transaction)")
        }
        let timestamp = settings.bug == .earliestTimestamp ? interval.earliestNanoseconds : server.clock.commitTimestamp()
        let wait = settings.bug == .noCommitWait ? 0 : server.clock.commitWaitNanoseconds(until: timestamp)
        server.waiting[transaction] = (timestamp, client, context.trueTime)
        context.log("t\(transaction) timestamp \(timestamp), interval \(interval), commit wait \(wait) ns")
        context.setTimer(TimerID(Self.commitTimerBase + UInt64(transaction)), after: .nanoseconds(wait))
    }

    mutating func finishCommitWait(transaction: Int, context: inout NodeContext<Message, Never>) {
        guard var server, let pending = server.waiting[transaction] else { return }
        defer { self.server = server }
        server.clock.physicalClock.nanoseconds = context.now.nanoseconds
        // The timer ran on this node's own clock, whose reading is rounded
        // to whole nanoseconds; if it woke a hair early, wait out the rest
        // (at least a microsecond, so that the clock visibly moves): the
        // commit is visible only once TT.after holds.
        if settings.bug != .noCommitWait, !server.clock.after(pending.timestamp) {
            let remaining = max(Self.rewaitNanosecondsMin, server.clock.commitWaitNanoseconds(until: pending.timestamp))
            context.setTimer(TimerID(Self.commitTimerBase + UInt64(transaction)), after: .nanoseconds(remaining))
            return
        }
        server.waiting[transaction] = nil
        server.committed[transaction] = pending.timestamp
        server.waits.append(context.trueTime - pending.startedAt)
        context.send(.committed(transaction: transaction, timestamp: pending.timestamp), to: pending.client)
    }
}
