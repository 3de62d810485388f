import ConcordFoundation
import ConcordRaft
import ConcordSimulation

/// Raft in `concord sim compare-consensus`: a ``RaftNode`` driving the same
/// ``PaxosLabStateMachine`` with the same batching, reads and compaction as
/// ``MultiPaxosKVServer``, so that the two leader-based engines differ only
/// in their protocol. Writes are gathered for `PaxosLabSettings.batchDelay`
/// and proposed as one batch; gets are served after a ReadIndex once the
/// read index is applied; each output is performed in the order
/// `RaftOutput` documents.
struct RaftComparisonServer: PaxosLabServer {
    typealias Peer = RaftComparisonMessage
    typealias Durable = RaftDurableState

    static var tickTimer: TimerID { TimerID(1) }
    static var flushTimer: TimerID { TimerID(2) }

    let id: NodeID
    let settings: PaxosLabSettings
    private(set) var node: RaftNode
    private var disk: PaxosLabDisk<RaftDurableState>
    private(set) var machine: PaxosLabStateMachine
    private var waiting = PaxosLabWaitingClients()
    private var batch: [(command: PaxosLabKVCommand, client: NodeID)] = []
    private var reads = PaxosLabPendingReads<(command: PaxosLabKVCommand, client: NodeID)>()
    private(set) var counters = PaxosLabCounters()

    var leads: Bool { node.role == .leader }
    var acceptorAnswers: Int { 0 }

    /// A server restored from `durable`, or founded with every server of
    /// `settings` as a voter.
    init(
        id: NodeID, durable: RaftDurableState?, configuration: RaftConfiguration, settings: PaxosLabSettings,
        context: inout Context
    ) {
        self.id = id
        self.settings = settings
        let founding = ConfigurationState(voters: Set(settings.servers.map { MemberID($0) }))
        let state = durable ?? .bootstrap(founding)
        disk = PaxosLabDisk(state)
        machine = (try? PaxosLabStateMachine(snapshot: state.snapshot.data)) ?? PaxosLabStateMachine()
        var own = configuration
        own.id = MemberID(id)
        node = RaftNode(configuration: own, restoring: state, random: SplitMix64(seed: context.random.next()))
        if durable == nil {
            // The founding state, which no request of the node covers.
            disk.persist(sequence: 0, &context) { _ in }
        }
        context.setTimer(Self.tickTimer, after: settings.tickInterval)
    }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        switch timer {
        case Self.tickTimer:
            context.setTimer(Self.tickTimer, after: settings.tickInterval)
            perform(node.tick(), &context)
        case Self.flushTimer:
            flush(&context)
        default:
            break
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout Context) {
        if let sequence = disk.durable(upTo: token) {
            perform(node.onPersisted(upTo: sequence), &context)
        }
    }

    mutating func onMessage(_ message: PaxosLabMessage<RaftComparisonMessage>, from: NodeID, context: inout Context) {
        switch message {
        case .peer(let peer):
            perform(node.step(peer.message), &context)
        case .request(let command) where command.operation.isRead:
            let readContext = reads.nextContext()
            do {
                let output = try node.readIndex(context: readContext)
                reads.awaitIndex(readContext, (command, from))
                perform(output, &context)
            } catch {
                refuse(command, client: from, error, &context)
            }
        case .request(let command):
            if batch.isEmpty { context.setTimer(Self.flushTimer, after: settings.batchDelay) }
            batch.append((command, from))
        case .response:
            break
        }
    }

    private mutating func flush(_ context: inout Context) {
        let flushed = batch
        batch = []
        guard !flushed.isEmpty else { return }
        do {
            let output = try node.propose(batch: flushed.map { ProposedEntry(data: $0.command.encoded()) })
            for (command, client) in flushed { waiting.wait(command, client: client) }
            perform(output, &context)
        } catch {
            for (command, client) in flushed { refuse(command, client: client, error, &context) }
        }
    }

    private func refuse(_ command: PaxosLabKVCommand, client: NodeID, _ error: RaftRequestError, _ context: inout Context) {
        var hint: Int?
        if case .notLeader(let leader) = error, let leader { hint = Int(leader) }
        context.send(.response(sequence: command.sequence, .notLeader(leaderHint: hint)), to: client)
    }

    /// Performs an output in the order `RaftOutput` documents.
    private mutating func perform(_ output: RaftOutput, _ context: inout Context) {
        if let request = output.persist {
            disk.persist(sequence: request.sequence, &context) { image in
                var storage = MemoryRaftStorage(image)
                do {
                    try storage.persist(request)
                } catch {
                    preconditionFailure("the in-memory image refused a persist request: \(error)")
                }
                image = storage.state
            }
        }
        for message in output.messages {
            context.send(.peer(RaftComparisonMessage(message: message)), to: NodeID(message.to))
            counters.peerMessages += 1
        }
        if let snapshot = output.snapshotToInstall {
            machine = (try? PaxosLabStateMachine(snapshot: snapshot.data)) ?? PaxosLabStateMachine()
        }
        for entry in output.committedEntries where entry.kind == .normal {
            apply(entry, &context)
        }
        for readState in output.readStates { reads.confirmed(index: readState.index, context: readState.context) }
        for read in reads.takeServable(applied: node.appliedIndex) {
            context.send(.response(sequence: read.command.sequence, .result(.value(machine.read(read.command.operation.key)))), to: read.client)
        }
        if let change = output.roleChange, change.role != .leader {
            reads.dropUnconfirmed()
        }
        maybeCompact(&context)
    }

    private mutating func apply(_ entry: LogEntry, _ context: inout Context) {
        guard !entry.data.isEmpty, let command = try? PaxosLabKVCommand(decoding: entry.data) else { return }
        counters.commandsApplied += 1
        guard let result = machine.apply(command) else { return }
        if let client = waiting.take(command) {
            context.send(.response(sequence: command.sequence, .result(result)), to: client)
        }
    }

    private mutating func maybeCompact(_ context: inout Context) {
        let applied = node.appliedIndex
        guard applied >= node.snapshotIndex + settings.compactionEntries else { return }
        if let output = try? node.compact(upTo: applied, snapshotData: machine.snapshot()) {
            perform(output, &context)
        }
    }
}

/// A Raft message between the servers of the comparison.
struct RaftComparisonMessage: Sendable, CustomStringConvertible {
    var message: RaftMessage

    var description: String { "raft \(message.from)→\(message.to)" }
}
