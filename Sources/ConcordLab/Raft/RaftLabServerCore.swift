import ConcordFoundation
import ConcordRaft
import ConcordSimulation

/// The shell around a `RaftNode` that both Raft labs' servers share,
/// generic over the state machine the log drives. It performs the node's
/// outputs in the order `RaftOutput` documents: it hands the persist request
/// to the simulated disk (the durable state is hard state, log and snapshot
/// together), sends messages, installs snapshots, applies committed entries
/// and answers their clients, serves reads whose ReadIndex is applied, and
/// compacts the log; it reports completed writes back with `onPersisted`.
/// Client writes are batched for `RaftLabSettings.batchDelay` and proposed
/// together.
struct RaftLabServerCore<StateMachine: RaftLabStateMachine> {
    typealias Message = StateMachine.Message
    typealias Context = NodeContext<Message, RaftDurableState>

    static var tickTimer: TimerID { TimerID(1) }
    static var flushTimer: TimerID { TimerID(2) }

    let id: NodeID
    let settings: RaftLabSettings
    let monitor: RaftSafetyMonitor
    private(set) var node: RaftNode
    /// The durable image and the persist requests the disk has not yet synced.
    private var disk: RaftLabDisk
    private(set) var stateMachine: StateMachine
    /// Writes waiting to be applied, by client session: the sequence and the
    /// client node to answer.
    private var waitingWrites: [UInt64: (sequence: UInt64, client: NodeID)] = [:]
    private var batch: [(write: StateMachine.Write, client: NodeID)] = []
    private var reads = RaftLabPendingReads<(read: StateMachine.Read, client: NodeID)>()
    /// Raft messages sent, for the benchmark.
    private(set) var messagesSent = 0

    /// Boots (`durable == nil`) or restarts a server. `restore` builds the
    /// state machine from the durable snapshot; the node then hands out the
    /// committed entries after it again.
    init(
        id: NodeID, durable: RaftDurableState?, settings: RaftLabSettings, monitor: RaftSafetyMonitor,
        context: inout Context, restore: (_ snapshot: [UInt8]) -> StateMachine
    ) {
        self.id = id
        self.settings = settings
        self.monitor = monitor
        let founding = ConfigurationState(voters: Set(settings.servers.map { ReplicaID($0) }))
        let state = durable ?? .bootstrap(founding)
        disk = RaftLabDisk(state)
        stateMachine = restore(state.snapshot.data)
        let seed = context.random.next()
        node = RaftNode(configuration: settings.raftConfiguration(for: id), restoring: state, random: SplitMix64(seed: seed))
        monitor.replicaRestarted(ReplicaID(id))
        if durable == nil {
            disk.persistFounding(state, &context)
        }
        context.setTimer(Self.tickTimer, after: settings.tickInterval)
    }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        switch timer {
        case Self.tickTimer:
            context.setTimer(Self.tickTimer, after: settings.tickInterval)
            perform(node.tick(), &context)
        case Self.flushTimer:
            flushBatch(&context)
        default:
            break
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout Context) {
        if let sequence = disk.durable(upTo: token) {
            perform(node.onPersisted(upTo: sequence), &context)
        }
    }

    /// Steps the node with a message from another server.
    mutating func step(_ message: RaftMessage, _ context: inout Context) {
        perform(node.step(message), &context)
    }

    /// Starts a ReadIndex for `read` (the client request `sequence`); the
    /// read is answered once its index is confirmed and applied.
    mutating func read(_ read: StateMachine.Read, sequence: UInt64, from client: NodeID, _ context: inout Context) {
        let readContext = reads.nextContext()
        do {
            let output = try node.readIndex(context: readContext)
            reads.awaitIndex(readContext, (read, client))
            perform(output, &context)
        } catch {
            refuse(sequence, client: client, error, &context)
        }
    }

    /// Adds `write` to the batch proposed when the flush timer fires.
    mutating func enqueue(_ write: StateMachine.Write, from client: NodeID, _ context: inout Context) {
        if batch.isEmpty {
            context.setTimer(Self.flushTimer, after: settings.batchDelay)
        }
        batch.append((write, client))
    }

    private mutating func flushBatch(_ context: inout Context) {
        let flushed = batch
        batch = []
        guard !flushed.isEmpty else { return }
        do {
            let output = try node.propose(batch: flushed.map { ProposedEntry(data: $0.write.encoded()) })
            for (write, client) in flushed {
                waitingWrites[write.clientID] = (write.sequence, client)
            }
            perform(output, &context)
        } catch {
            for (write, client) in flushed {
                refuse(write.sequence, client: client, error, &context)
            }
        }
    }

    private func refuse(_ sequence: UInt64, client: NodeID, _ error: RaftRequestError, _ context: inout Context) {
        var hint: Int?
        if case .notLeader(let leader) = error, let leader { hint = Int(leader) }
        context.send(.notLeader(sequence: sequence, leaderHint: hint), to: client)
    }

    /// Performs an output in the order `RaftOutput` documents.
    private mutating func perform(_ output: RaftOutput, _ context: inout Context) {
        if let request = output.persist {
            disk.persist(request, &context)
        }
        for message in output.messages {
            context.send(.raft(message), to: NodeID(message.to))
        }
        messagesSent += output.messages.count
        if let snapshot = output.snapshotToInstall {
            stateMachine.install(snapshot: snapshot.data, by: id)
            context.log("n\(id) installed snapshot \(snapshot.metadata.index)/\(snapshot.metadata.term)")
        }
        for entry in output.committedEntries {
            apply(entry, &context)
        }
        reads.confirmed(output.readStates)
        serveReads(&context)
        if let change = output.roleChange {
            context.log("n\(id) \(change.role.rawValue) term \(change.term) leader \(change.leader.map { "n\($0)" } ?? "none")")
            if change.role != .leader {
                reads.dropUnconfirmed()
            }
        }
        if node.role == .leader {
            monitor.observeLeader(node.id, term: node.term)
            proposeLeaderCommandIfDue(&context)
        }
        monitor.observeTolerated(node.toleratedViolations, by: node.id)
        maybeCompact(&context)
    }

    private mutating func apply(_ entry: LogEntry, _ context: inout Context) {
        monitor.observeApplied(entry, by: node.id)
        guard entry.kind == .normal, !entry.data.isEmpty else { return }
        guard let applied = stateMachine.apply(entry, by: id, context: &context) else { return }
        if let waiting = waitingWrites[applied.clientID], waiting.sequence == applied.sequence {
            waitingWrites[applied.clientID] = nil
            context.send(applied.response, to: waiting.client)
        }
    }

    private mutating func serveReads(_ context: inout Context) {
        for read in reads.takeServable(applied: node.appliedIndex) {
            context.send(stateMachine.answer(read.read), to: read.client)
        }
    }

    /// Proposes the state machine's own leader command when one is due.
    private mutating func proposeLeaderCommandIfDue(_ context: inout Context) {
        guard let due = stateMachine.dueLeaderCommand() else { return }
        guard let output = try? node.propose(batch: [ProposedEntry(data: due.payload)]) else { return }
        stateMachine.proposed(due.command, by: id, context: &context)
        perform(output, &context)
    }

    /// Snapshots the state machine and compacts the Raft log.
    private mutating func maybeCompact(_ context: inout Context) {
        let applied = node.appliedIndex
        guard applied >= node.snapshotIndex + settings.compactionEntries else { return }
        do {
            let output = try node.compact(upTo: applied, snapshotData: stateMachine.snapshot())
            perform(output, &context)
        } catch {
            context.log("n\(id) could not compact: \(error)")
        }
    }
}
