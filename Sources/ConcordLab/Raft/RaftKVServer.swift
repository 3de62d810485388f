import ConcordRaft
import ConcordSimulation

/// A Raft server of the key-value lab: the shell around a `RaftNode` that
/// the simulator drives. It performs the node's outputs in the order
/// `RaftOutput` documents: it hands the persist request to the simulated
/// disk (the durable state is hard state, log and snapshot together), sends
/// messages, applies committed entries to the key-value state machine and
/// answers clients; it reports completed writes back with `onPersisted`.
struct RaftKVServer {
    static let tickTimer = TimerID(1)
    static let flushTimer = TimerID(2)

    let id: NodeID
    let settings: RaftLabSettings
    let monitor: RaftSafetyMonitor
    private(set) var node: RaftNode
    /// The durable image and the persist requests the disk has not yet synced.
    private var disk: RaftLabDisk
    private(set) var stateMachine: KVStateMachine
    /// Writes waiting to be applied, by client session: the sequence and the
    /// client node to answer.
    private var waitingWrites: [UInt64: (sequence: UInt64, client: NodeID)] = [:]
    private var batch: [(command: KVCommand, client: NodeID)] = []
    private var reads = RaftLabPendingReads<(command: KVCommand, client: NodeID)>()
    /// Committed commands applied, for the benchmark.
    private(set) var appliedCommands = 0
    /// Raft messages sent, for the benchmark.
    private(set) var messagesSent = 0

    init(id: NodeID, durable: RaftDurableState?, settings: RaftLabSettings, monitor: RaftSafetyMonitor, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        self.id = id
        self.settings = settings
        self.monitor = monitor
        let founding = ConfigurationState(voters: Set(settings.servers.map { ReplicaID($0) }))
        let state = durable ?? .bootstrap(founding)
        disk = RaftLabDisk(state)
        // The state machine restarts from the snapshot; the node then hands
        // out the committed entries after it again.
        stateMachine = (try? KVStateMachine(snapshot: state.snapshot.data)) ?? KVStateMachine()
        stateMachine.deduplicates = !settings.raft.testingBugs.contains(.applyRetriedCommandTwice)
        let seed = context.random.next()
        node = RaftNode(configuration: settings.raftConfiguration(for: id), restoring: state, random: RaftRandom(seed: seed))
        monitor.replicaRestarted(ReplicaID(id))
        if durable == nil {
            disk.persistFounding(state, &context)
        }
        context.setTimer(Self.tickTimer, after: settings.tickInterval)
    }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
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

    mutating func onDurable(_ token: PersistToken, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        if let sequence = disk.durable(upTo: token) {
            perform(node.onPersisted(upTo: sequence), &context)
        }
    }

    mutating func onMessage(_ message: RaftLabMessage, from: NodeID, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        switch message {
        case .raft(let raftMessage):
            perform(node.step(raftMessage), &context)
        case .request(let command) where command.operation.isRead:
            read(command, from: from, &context)
        case .request(let command):
            if batch.isEmpty {
                context.setTimer(Self.flushTimer, after: settings.batchDelay)
            }
            batch.append((command, from))
        case .response:
            break
        }
    }

    private mutating func read(_ command: KVCommand, from client: NodeID, _ context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        let readContext = reads.nextContext()
        do {
            let output = try node.readIndex(context: readContext)
            reads.awaitIndex(readContext, (command, client))
            perform(output, &context)
        } catch {
            refuse(command, client: client, error, &context)
        }
    }

    private mutating func flushBatch(_ context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        let flushed = batch
        batch = []
        guard !flushed.isEmpty else { return }
        do {
            let output = try node.propose(batch: flushed.map { ProposedEntry(data: $0.command.encoded()) })
            for (command, client) in flushed {
                waitingWrites[command.clientID] = (command.sequence, client)
            }
            perform(output, &context)
        } catch {
            for (command, client) in flushed {
                refuse(command, client: client, error, &context)
            }
        }
    }

    private func refuse(_ command: KVCommand, client: NodeID, _ error: RaftRequestError, _ context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        var hint: Int?
        if case .notLeader(let leader) = error, let leader { hint = Int(leader) }
        context.send(.response(sequence: command.sequence, .notLeader(leaderHint: hint)), to: client)
    }

    /// Performs an output in the order `RaftOutput` documents.
    private mutating func perform(_ output: RaftOutput, _ context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        if let request = output.persist {
            disk.persist(request, &context)
        }
        for message in output.messages {
            context.send(.raft(message), to: NodeID(message.to))
        }
        messagesSent += output.messages.count
        if let snapshot = output.snapshotToInstall {
            stateMachine = (try? KVStateMachine(snapshot: snapshot.data)) ?? KVStateMachine()
            stateMachine.deduplicates = !settings.raft.testingBugs.contains(.applyRetriedCommandTwice)
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
        }
        monitor.observeTolerated(node.toleratedViolations, by: node.id)
        maybeCompact(&context)
    }

    private mutating func apply(_ entry: LogEntry, _ context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        monitor.observeApplied(entry, by: node.id)
        guard entry.kind == .normal, !entry.data.isEmpty else { return }
        guard let command = try? KVCommand(decoding: entry.data) else {
            context.log("n\(id) skipped undecodable entry \(entry.index)")
            return
        }
        appliedCommands += 1
        let result = stateMachine.apply(command)
        if let waiting = waitingWrites[command.clientID], waiting.sequence == command.sequence, let result {
            waitingWrites[command.clientID] = nil
            context.send(.response(sequence: command.sequence, .result(result)), to: waiting.client)
        }
    }

    private mutating func serveReads(_ context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        for read in reads.takeServable(applied: node.appliedIndex) {
            let value = stateMachine.read(read.command.operation.key)
            context.send(.response(sequence: read.command.sequence, .result(.value(value))), to: read.client)
        }
    }

    private mutating func maybeCompact(_ context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
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
